"""report.html: self-contained, and the figures a browser shows are those of summary.json.

The page is opened in headless Chromium (Debian's `chromium`); without it these tests skip.
"""
from __future__ import annotations

import html.parser
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from flowise_conformance.paths import suites_dir
from flowise_conformance.report import html as html_report
from tests.test_expectations import LISTED, PING, PONG, entry_toml, run

KEY = "fc-html-selftest-key-4f1d2c"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")


class _Page(html.parser.HTMLParser):
    """Collects data-fc figures (with their text), listed tests, parts, tags and external references."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tests: dict[str, str] = {}
        self.parts: list[tuple[str | None, str]] = []  # (current test, part name)
        self.tags: set[str] = set()
        self.refs: list[str] = []
        self._open: list[tuple[str, str]] = []  # (tag, figure key) being read
        self._text: dict[str, str] = {}
        self._test: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#")]
        if tag == "section" and a.get("data-fc-test"):
            self._test = a["data-fc-test"]
        if a.get("data-fc-test") and a.get("data-fc-outcome"):
            self.tests[a["data-fc-test"]] = a["data-fc-outcome"]
        if a.get("data-fc-part"):
            self.parts.append((self._test, a["data-fc-part"]))
        if a.get("data-fc"):
            self._open.append((tag, a["data-fc"]))
            self._text[a["data-fc"]] = ""

    def handle_data(self, data: str) -> None:
        for _, key in self._open:
            self._text[key] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, key = self._open.pop()
            self.figures[key] = self._text[key].strip()
        if tag == "section":
            self._test = None


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={cwd / 'chromium-profile'}", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    """Two faults, one expected failure, one stale expectation, skipped tests (feedback declared unsupported)."""
    tmp = tmp_path_factory.mktemp("html")
    (tmp / "exp.toml").write_text(entry_toml(LISTED) + entry_toml(PONG))
    (tmp / "target.toml").write_text('name = "reference (html self-test)"\n[capabilities]\nfeedback = false\n')
    code, output, summary = run(
        tmp, "--target", str(tmp / "target.toml"), "--api-key", KEY,
        "--reference-fault", "ping-needs-key", "--reference-fault", "chatflow-not-listed",
        "--expectations", str(tmp / "exp.toml"),
        str(suites_dir() / "test_ping.py"), str(suites_dir() / "chatflows" / "test_chatflows_lifecycle.py"),
        str(suites_dir() / "feedback" / "test_feedback_update.py"), run_id="html")
    assert summary is not None, output[-3000:]
    return tmp, tmp / "reports" / "html", summary


def test_the_run_has_every_kind_of_outcome(faulty_run):
    """Precondition of the page checks: failed, skipped, expected-failure and stale-expectation all occur."""
    _, _, summary = faulty_run
    counts = summary["counts"]
    assert counts["failed"] >= 1 and counts["skipped"] >= 1 and counts["expected-failure"] == 1
    assert counts["stale-expectation"] == 1 and summary["tests"][0]["id"]


def test_the_page_is_self_contained(faulty_run):
    """No script, no stylesheet link, no external src/href: it works offline from a single file."""
    _, run_dir, _ = faulty_run
    page = _Page()
    page.feed((run_dir / "report.html").read_text())
    assert not page.tags & {"script", "link", "img", "iframe", "object"}, page.tags
    assert page.refs == [], page.refs
    assert "<style>" in (run_dir / "report.html").read_text()


def test_the_page_never_shows_the_api_key(faulty_run):
    """The key is redacted in transcripts and curl commands of the page."""
    _, run_dir, _ = faulty_run
    text = (run_dir / "report.html").read_text()
    assert KEY not in text and "[REDACTED]" in text


def test_render_escapes_what_the_server_sent():
    """A server's body is shown as text, never as markup."""
    data = json.loads(json.dumps(_minimal_summary()))
    data["tests"][0]["message"] = "<script>alert(1)</script>"
    out = html_report.render(data)
    assert "<script>alert" not in out and "&lt;script&gt;" in out


def test_the_page_carries_a_content_security_policy_that_allows_no_script():
    """Defence in depth for a page full of server text: a CSP <meta> in <head> that allows no script, no request."""
    page = html_report.render(_minimal_summary())
    head = page.split("</head>", 1)[0]
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', head)
    assert len(metas) == 1, f"Expected one CSP <meta> in <head>\nReceived: {metas} in {head[:400]!r}"
    policy = dict((d.split(" ", 1) + [""])[:2] for d in metas[0].split("; "))
    assert policy.get("default-src") == "'none'" and "script-src" not in policy, (
        f"Expected default-src 'none' and no script-src\nReceived: {policy}")
    assert policy.get("style-src") == "'unsafe-inline'", f"Expected the inline <style> allowed\nReceived: {policy}"


@needs_chromium
def test_chromium_shows_the_figures_of_summary_json(faulty_run):
    """Headless Chromium renders the page; every count it shows equals summary.json's."""
    tmp, run_dir, summary = faulty_run
    proc = _chromium("--dump-dom", (run_dir / "report.html").as_uri(), cwd=tmp)
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    page = _Page()
    page.feed(proc.stdout)
    for outcome, count in summary["counts"].items():
        assert page.figures[f"count:{outcome}"] == str(count), outcome
    assert page.figures["count:total"] == str(len(summary["tests"]))
    for kind in ("resource", "level"):
        for name, counts in summary["totals"][f"by_{kind}"].items():
            for outcome, count in counts.items():
                assert page.figures[f"{kind}:{name}:{outcome}"] == str(count), (kind, name, outcome)
    assert page.figures["gate:exit_code"] == str(summary["gate"]["exit_code"])
    shown = {k: v for k, v in page.tests.items()}
    for test in summary["tests"]:
        if test["outcome"] != "passed":
            assert shown.get(test["id"]) == test["outcome"], test["id"]


@needs_chromium
def test_each_failure_shows_its_transcript_and_reproduction(faulty_run):
    """In the rendered page a failed test's section holds its transcript and its curl reproduction."""
    tmp, run_dir, summary = faulty_run
    page = _Page()
    page.feed(_chromium("--dump-dom", (run_dir / "report.html").as_uri(), cwd=tmp).stdout)
    failed = summary["tests"]
    ping = next(t for t in failed if t["id"] == PING)
    assert ping["outcome"] == "failed" and ping["transcript"] and ping["reproduce"]
    assert (PING, "transcript") in page.parts and (PING, "reproduce") in page.parts
    assert (PING, "last-exchange") in page.parts


@needs_chromium
def test_chromium_takes_a_screenshot_of_the_page(faulty_run):
    """A 1280x2000 PNG screenshot of the report can be taken (what the acceptance screenshot is made with)."""
    tmp, run_dir, _ = faulty_run
    shot = tmp / "report.png"
    proc = _chromium("--window-size=1280,2000", f"--screenshot={shot}", (run_dir / "report.html").as_uri(), cwd=tmp)
    assert shot.exists(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert struct.unpack(">II", data[16:24]) == (1280, 2000)


def _minimal_summary() -> dict:
    test = {"id": "a.py::t", "outcome": "failed", "phase": "call", "duration_s": 0.1, "message": "m", "details": "",
            "transcript": "", "reproduce": [], "requirement": "r", "resource": "ping", "level": "MUST",
            "mutating": False, "gate": "fail", "expectation": None}
    counts = {o: 0 for o in html_report.OUTCOME_LABEL}
    counts["failed"] = 1
    return {"schema_version": 2, "tool": {"name": "flowise-conformance", "version": "0"}, "run_id": "x",
            "started": "s", "finished": "f", "duration_s": 1.0, "interrupted": False, "target": {"name": "t"},
            "server_version": None, "selection": {}, "counts": counts,
            "totals": {"by_resource": {"ping": counts}, "by_level": {"MUST": counts}},
            "gate": {"verdict": "fail", "exit_code": 1, "strict": False, "failing": ["a.py::t"], "warnings": []},
            "cleanup": {"problems": []}, "tests": [test]}



def test_a_stateful_fuzz_failure_shows_the_request_that_failed(run_cli):
    """A stateful scenario deletes what it made before its failure is reported: the page's last exchange
    must be the request the failure names (a PUT of a deleted variable answered 404 as text), not the cleanup's."""
    import html as html_lib
    import re

    node = "fuzz/test_fuzz_stateful.py::TestVariableScenarios::test_scenarios"
    result = run_cli("run", "--reference-fault", "variable-update-unknown-text", str(suites_dir() / node), timeout=120)
    test = next(t for t in result.summary()["tests"] if t["id"] == node)
    assert "updateVariable (PUT /api/v1/variables/{id}) answered 404" in test["message"], (
        f"Expected: a failure of the PUT of a deleted variable\nReceived: {test['message'][:800]!r}"
    )
    page = next(result.report_dir.glob("*/report.html")).read_text()
    shown = re.search(r'<pre data-fc-part="last-exchange">(.*?)</pre>', page, re.S)
    lines = html_lib.unescape(shown.group(1)).splitlines() if shown else []
    request, status = (lines[0] if lines else ""), next((x for x in lines if x.startswith("< ")), "")
    assert re.fullmatch(r"> PUT \S+/api/v1/variables/[0-9a-f-]{36}", request) and status.startswith("< 404"), (
        f"Expected: last exchange '> PUT .../api/v1/variables/<id>' answered '< 404'\nReceived: {request!r} {status!r}"
    )
