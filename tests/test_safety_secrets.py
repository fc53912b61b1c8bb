"""The API key never appears in any output: terminal, logs, junit.xml, summary.json, Allure, HTML, curl, journal.

Each test runs the CLI with a recognisable key (containing characters that change under URL,
JSON and base64 encoding) and searches every file under the report directory and the
captured stdout/stderr for the key in each encoded form.
"""
from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path
from urllib.parse import quote, quote_plus

from flowise_conformance.redact import REDACTED, _base64_cores
from tests.safety_support import cli_env, finish, start_cli, start_cli_on_suites

KEY = "fc-CANARY+key/9Qz=" + "b7e41d0c5a"
FAULTS = ["query-key-accepted", "auth-scheme-ignored", "bad-key-accepted", "missing-key-accepted", "not-found-500",
          "error-no-message", "chatflow-apikey-any-key", "chatflow-apikey-bound-hidden", "flow-key-not-enforced"]


def needles(key: str) -> dict[str, str]:
    raw = key.encode()
    found = {
        "literal": key,
        "url-encoded": quote(key, safe=""),
        "url-encoded (path)": quote(key),
        "form-encoded": quote_plus(key),
        "json-escaped": json.dumps(key)[1:-1],
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
    }
    for n, core in enumerate(sorted(_base64_cores(raw))):
        found[f"base64 inside a blob #{n}"] = core
    return found


def search(report_dir: Path, *texts: str) -> tuple[list[str], int]:
    """(where each form of KEY was found, number of files searched)."""
    hits: list[str] = []
    files = [p for p in report_dir.rglob("*") if p.is_file()]
    forms = needles(KEY)
    for path in files:
        data = path.read_bytes()
        hits += [f"{path.relative_to(report_dir)}: {name}" for name, form in forms.items() if form.encode() in data]
    for n, text in enumerate(texts):
        hits += [f"stream #{n}: {name}" for name, form in forms.items() if form in text]
    return hits, len(files)


def test_key_is_in_no_output_of_a_failing_run_with_workers(tmp_path):
    """A full run with faults (failures with transcripts), -n 2, -rA -l and DEBUG logs: 0 key occurrences anywhere."""
    reports = tmp_path / "reports"
    args = ["run", "--report-dir", str(reports), "--run-id", "20260101-000000-5ec0e1", "-n", "2", "-rA", "-l", "-v",
            "--log-level=DEBUG", "-p", "no:randomly"]
    for fault in FAULTS:
        args += ["--reference-fault", fault]
    proc = start_cli(args, tmp_path / "cwd", cli_env(KEY))
    code, out, err = finish(proc, timeout=1500)
    hits, searched = search(reports, out, err)
    summary = json.loads((reports / "20260101-000000-5ec0e1" / "summary.json").read_text())
    failing = [t for t in summary["tests"] if t["outcome"] in ("failed", "error")]
    with_transcript = [t for t in failing if t.get("transcript")]
    kinds = sorted({p.suffix for p in reports.rglob("*") if p.is_file()})
    print(f"secrets: exit {code}; {searched} files searched ({', '.join(kinds)}) + stdout/stderr "
          f"({len(out) + len(err)} chars); {len(failing)} failing tests, {len(with_transcript)} with transcripts; "
          f"key occurrences: {len(hits)}")
    assert code == 1, out[-3000:] + err[-3000:]
    assert with_transcript, "no failure with a transcript: the test proves nothing"
    assert (reports / "20260101-000000-5ec0e1" / "junit.xml").is_file()
    assert any(p.name.endswith("-result.json") for p in reports.rglob("*")), "no Allure results were written"
    assert REDACTED in out, "nothing was redacted on the terminal: the test proves nothing"
    assert hits == [], hits[:20]


LEAKY = '''
    """Tests that try to leak the key every way a test can."""
    import base64
    import logging
    import sys
    from urllib.parse import quote

    import allure
    import pytest

    pytestmark = [pytest.mark.resource("hostile")]


    @pytest.fixture
    def key(target):
        return target.api_key


    @pytest.mark.level("MUST")
    def test_prints_logs_and_asserts_the_key(key, record_property):
        """Leaks through stdout, stderr, logging, a junit property and the assertion message."""
        print("stdout:", key)
        print("stderr:", key, file=sys.stderr)
        logging.getLogger("leaky").warning("logged %s", key)
        logging.getLogger("leaky").error("logged base64 %s", base64.b64encode(key.encode()).decode())
        record_property("the_key", key)
        allure.attach(f"attachment {key}", name="leak")
        assert False, f"message {key} {quote(key, safe='')} {base64.b64encode(('user:' + key).encode()).decode()}"


    @pytest.mark.level("MUST")
    def test_shows_the_key_in_locals(key):
        """A local variable holding the key, shown by -l."""
        secret = key
        headers = {"Authorization": f"Bearer {secret}"}
        raise ValueError(f"boom {len(headers)}")


    @pytest.mark.level("MUST")
    def test_sends_the_key_in_the_url(api, key):
        """The key in a path and in a query string: the transcript and curl line show the URL."""
        api.get(f"chatflows/apikey/{quote(key, safe='')}", params={"apiKey": key})
        assert False, "see the transcript"


    @pytest.mark.level("MUST")
    def test_skips_with_the_key(key):
        """The key in a skip reason."""
        pytest.skip(f"skip {key}")


    @pytest.mark.level("MUST")
    def test_xfails_with_the_key(key):
        """The key in an xfail reason."""
        pytest.xfail(f"xfail {key}")
'''


def _run_leaky(tmp_path: Path, **env: str) -> tuple[int, str, str, Path]:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_leaky.py").write_text(textwrap.dedent(LEAKY))
    reports = tmp_path / "reports"
    proc = start_cli_on_suites(suites, ["run", "--report-dir", str(reports), "--run-id", "20260101-000000-5ec0e2",
                                        "-rA", "-l", "-v", "--log-level=DEBUG", "-p", "no:xdist"],
                               tmp_path / "cwd", cli_env(KEY, **env))
    code, out, err = finish(proc, timeout=300)
    return code, out, err, reports


def test_key_is_redacted_from_what_tests_themselves_leak(tmp_path):
    """Tests that print, log, assert, attach, skip with and send the key: 0 occurrences in any output."""
    code, out, err, reports = _run_leaky(tmp_path)
    hits, searched = search(reports, out, err)
    summary = json.loads((reports / "20260101-000000-5ec0e2" / "summary.json").read_text())
    outcomes = {t["id"].split("::")[-1]: t["outcome"] for t in summary["tests"]}
    print(f"leaky tests: exit {code}; {searched} files searched; outcomes {outcomes}; key occurrences: {len(hits)}")
    assert outcomes.get("test_prints_logs_and_asserts_the_key") == "failed", outcomes
    assert outcomes.get("test_skips_with_the_key") == "skipped", outcomes
    assert out.count(REDACTED) >= 5, "the key was not where the tests put it: the test proves nothing"
    assert hits == [], hits[:20]


def test_the_search_finds_the_leaks_when_redaction_is_off(tmp_path):
    """The same leaky tests with redaction switched off: the search finds the key in every kind of output."""
    code, out, err, reports = _run_leaky(tmp_path, FC_SELFTEST_NO_REDACTION="1")
    hits, _ = search(reports, out, err)
    where = {h.split(":")[0] for h in hits}
    print(f"redaction off: {len(hits)} occurrences in {sorted(where)}")
    assert "stream #0" in where, "stdout"
    assert any(w.endswith("junit.xml") for w in where), where
    assert any(w.endswith("summary.json") for w in where), where
    assert any("allure" in w for w in where), where
    assert any(h.endswith(": url-encoded") for h in hits) and any("base64" in h for h in hits), hits
