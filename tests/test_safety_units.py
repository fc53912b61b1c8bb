"""Unit self-tests of the safety pieces: redaction forms, the journal API, cleanup's path rules, the guard."""
from __future__ import annotations

import base64
import io
from urllib.parse import quote, quote_plus

import httpx
import pytest

from flowise_conformance import redact as redact_mod
from flowise_conformance.cleanup import clean, outstanding_items
from flowise_conformance.plugins.safety.guard import Guard, SafetyRefused
from flowise_conformance.run import Journal, RunScope, set_current_run
from flowise_conformance.tracker import journal_created

KEY = "fc-unit+KEY/secret=42"


@pytest.fixture
def secret():  # noqa: ANN201
    before = set(redact_mod._secrets)
    redact_mod.register_secret(KEY)
    yield KEY
    redact_mod._secrets.clear()
    redact_mod._secrets.update(before)


@pytest.mark.parametrize("encode", [
    lambda k: k, lambda k: quote(k, safe=""), lambda k: quote_plus(k), lambda k: quote(k),
    lambda k: base64.b64encode(k.encode()).decode(), lambda k: base64.urlsafe_b64encode(k.encode()).decode(),
    lambda k: base64.b64encode(b"user:" + k.encode()).decode(), lambda k: base64.b64encode(b"x" + k.encode() + b"yz").decode(),
], ids=["literal", "url", "form", "path", "base64", "base64url", "basic-auth", "base64-offset"])
def test_every_encoded_form_of_the_key_is_redacted(secret, encode):
    """The key is redacted as it is and URL-, form- and base64-encoded (also inside a larger base64 blob)."""
    text = f"before {encode(secret)} after"
    clean_text = redact_mod.redact(text)
    assert redact_mod.REDACTED in clean_text
    assert encode(secret) not in clean_text and secret not in clean_text


def test_redacting_stream_and_file_scrub(secret, tmp_path):
    """What goes through the terminal wrapper, and files under a report dir, lose the key."""
    sink = io.StringIO()
    redact_mod.RedactingStream(sink).write(f"key={secret}\n")
    assert secret not in sink.getvalue() and redact_mod.REDACTED in sink.getvalue()
    report = tmp_path / "r" / "deep" / "file.bin"
    report.parent.mkdir(parents=True)
    report.write_bytes(b"\x00" + quote(secret, safe="").encode() + b"\xff")
    assert redact_mod.scrub_files([tmp_path / "r"]) == [report]
    assert quote(secret, safe="").encode() not in report.read_bytes()


def test_journal_created_outside_fixtures_is_swept(tmp_path):
    """journal_created() journals an object for the current run; outside a run it refuses."""
    set_current_run(None)
    with pytest.raises(RuntimeError):
        journal_created("tool", "t-1")
    run = RunScope("20260101-000000-0a0b0c", tmp_path)
    set_current_run(run)
    try:
        journal_created("tool", "t-1", name="fc-0a0b0c-gw-tool-1")
        journal_created("apikey", "k-1", delete="/api/v1/apikey/k-1")
        with pytest.raises(ValueError):
            journal_created("odd", "x", delete="https://elsewhere.example/x")
    finally:
        set_current_run(None)
    items = outstanding_items(run.journal)
    assert sorted((i.kind, i.path) for i in items) == [("apikey", "/api/v1/apikey/k-1"), ("tool", "/api/v1/tools/t-1")]


def test_cleanup_never_uses_a_journaled_path_outside_the_api(tmp_path):
    """A tampered journal entry with a DELETE path outside /api/v1/ is skipped, not sent."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.created("mystery", "m-1", "/admin/wipe", None)
    journal.created("mystery", "m-2", "/api/v1/../admin", None)
    sent: list[str] = []

    class Client:
        def delete(self, path: str) -> httpx.Response:
            sent.append(path)
            return httpx.Response(200)

    report = clean(Client(), journal)  # type: ignore[arg-type]
    assert sent == [] and report.count("skipped") == 2


def test_guard_decisions():
    """Other origins, read-only writes and writes naming a pre-existing object are refused; the rest passes."""
    guard = Guard("http://127.0.0.1:3000", foreign=frozenset({"11111111-2222-3333-4444-555555555555"}))
    guard.check("GET", "http://127.0.0.1:3000/api/v1/chatflows")
    guard.check("POST", "http://127.0.0.1:3000/api/v1/chatflows")
    guard.check("GET", "http://127.0.0.1:3000/api/v1/chatflows/11111111-2222-3333-4444-555555555555")
    for method, url in [("GET", "http://127.0.0.1:3001/api/v1/ping"), ("GET", "http://localhost:3000/api/v1/ping"),
                        ("DELETE", "http://127.0.0.1:3000/api/v1/chatflows/11111111-2222-3333-4444-555555555555"),
                        ("POST", "http://127.0.0.1:3000/api/v1/prediction/11111111-2222-3333-4444-555555555555")]:
        with pytest.raises(SafetyRefused):
            guard.check(method, url)
    read_only = Guard("http://127.0.0.1:3000", read_only=True)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(SafetyRefused, match="read-only"):
            read_only.check(method, "http://127.0.0.1:3000/api/v1/tools")
    read_only.check("GET", "http://127.0.0.1:3000/api/v1/tools")
    assert len(guard.violations) == 4 and len(read_only.violations) == 4


def test_guard_after_an_interrupt_refuses_once_the_budget_is_spent():
    """After Ctrl-C requests go on until the stop budget is spent, then fail at once as transport errors."""
    guard = Guard("http://127.0.0.1:3000")
    guard.begin_stop(0.0)
    with pytest.raises(httpx.TransportError, match="not sent"):
        guard.check("DELETE", "http://127.0.0.1:3000/api/v1/tools/x")
    assert guard.violations == []  # running out of time is not the test's fault


def test_create_answers_are_journaled_from_the_response(tmp_path):
    """A 2xx JSON answer with an id to POST on a collection is journaled; errors and other paths are not."""
    made: list[tuple[str, str, str | None]] = []
    guard = Guard("http://127.0.0.1:3000/base", journal_to=lambda k, i, n: made.append((k, i, n)))
    kind = guard.created_kind("POST", "http://127.0.0.1:3000/base/api/v1/tools/")
    assert kind == "tool"
    assert guard.created_kind("GET", "http://127.0.0.1:3000/base/api/v1/tools") is None
    assert guard.created_kind("POST", "http://127.0.0.1:3000/base/api/v1/prediction/x") is None
    guard.journal_answer(kind, 200, b'{"id": "t-9", "name": "fc-x"}')
    guard.journal_answer(kind, 400, b'{"id": "t-10"}')
    guard.journal_answer(kind, 200, b'[{"id": "t-11"}]')
    assert made == [("tool", "t-9", "fc-x")]


def test_a_create_whose_answer_was_never_read_is_found_by_its_name(tmp_path):
    """A 'creating' intent without its 'created' entry: cleanup deletes the object carrying exactly that name."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.creating("tool", "fc-abc123-gw0-tool-1")  # answered and journaled
    journal.created("tool", "t-1", "/api/v1/tools/t-1", "fc-abc123-gw0-tool-1")
    journal.deleted("tool", "t-1")
    journal.creating("tool", "fc-abc123-gw0-tool-2")  # killed before its answer was read
    journal.creating("variable", "fc_abc123_gw0_var_3")  # refused by the server: nothing to find
    listed = {
        "/api/v1/tools": [{"id": "t-2", "name": "fc-abc123-gw0-tool-2"},
                          {"id": "t-20", "name": "fc-abc123-gw0-tool-20"},  # a longer name: not it
                          {"id": "t-x", "name": "customer tool"}],
        "/api/v1/variables": [{"id": "v-9", "name": "customer_var"}],
    }
    sent: list[str] = []

    class Client:
        def get(self, path: str) -> httpx.Response:
            sent.append(f"GET {path}")
            if path not in listed:  # an item read back after its DELETE
                return httpx.Response(404, json={"message": "not found"}) if f"DELETE {path}" in sent else httpx.Response(500)
            return httpx.Response(200, json=listed[path])

        def delete(self, path: str) -> httpx.Response:
            sent.append(f"DELETE {path}")
            return httpx.Response(200, json={})

    assert sorted(journal.pending_creates()) == [("tool", "fc-abc123-gw0-tool-2"), ("variable", "fc_abc123_gw0_var_3")]
    report = clean(Client(), journal)  # type: ignore[arg-type]
    assert [s for s in sent if s.startswith("DELETE")] == ["DELETE /api/v1/tools/t-2"]
    assert report.count("deleted") == 1 and report.count("failed") == 0
    assert journal.pending_creates() == [] and journal.outstanding() == []


def test_create_intents_carry_the_run_unique_name_only():
    """A create is journaled as an intent by its fc-<tag>- (or fc_<tag>_) name; other names are never used."""
    seen: list[tuple[str, str]] = []
    guard = Guard("http://127.0.0.1:3000", run_prefix="fc-abc123-", intent_to=lambda k, n: seen.append((k, n)))
    assert guard.intent("tool", b'{"name": "fc_abc123_gw_fuzz_tool_2", "func": "x"}') == "fc_abc123_gw_fuzz_tool_2"
    assert guard.intent("chatflow", b'{"name": "fc-abc123-gw0-chatflow-7"}') == "fc-abc123-gw0-chatflow-7"
    assert guard.intent("chatflow", b'{"name": "fc-zzz999-gw0-chatflow-7"}') is None  # another run's
    assert guard.intent("chatflow", b'{"name": "xfc-abc123-gw0-chatflow-7"}') is None
    assert guard.intent("chatflow", b'{"name": "customer flow"}') is None
    assert seen == [("tool", "fc_abc123_gw_fuzz_tool_2"), ("chatflow", "fc-abc123-gw0-chatflow-7")]


def test_cleanup_does_not_delete_again_what_a_test_deleted(run_cli):
    """On a server whose second DELETE answers 500 (as Flowise does), no object is reported as left behind."""
    from flowise_conformance.embedded import EmbeddedServer
    from flowise_conformance.paths import suites_dir
    from tests.conftest import clean_env

    server = EmbeddedServer(faults=("assistant-unknown-500",)).start()
    try:
        result = run_cli("run", "--base-url", server.base_url, "-p", "no:xdist",
                         str(suites_dir() / "assistants" / "test_assistants_lifecycle.py"),
                         env=clean_env(FLOWISE_API_KEY=server.api_key))
    finally:
        server.stop()
    outcomes = result.outcomes()
    assert outcomes["assistants/test_assistants_lifecycle.py::test_deleted_assistant_is_not_listed"] == "passed"
    assert "may be left" not in result.stdout + result.stderr, result.stdout[-3000:]
    assert "cleanup of assistant" not in result.stdout + result.stderr, result.stdout[-3000:]


# ---- the private library APIs the harness leans on, one adapter each: these fail when a library changes


def test_allure_file_logger_adapter_redacts_results(secret, tmp_path):
    """allure.py replaces the private AllureFileLogger._report_item: a result it writes carries no key."""
    from allure_commons.logger import AllureFileLogger
    from allure_commons.model2 import TestResult

    from flowise_conformance.plugins.safety.allure import patch_allure, unpatch_allure

    logger = AllureFileLogger(tmp_path)
    patch_allure()
    try:
        logger.report_result(TestResult(uuid="u1", name=f"sends {secret}"))
    finally:
        unpatch_allure()
    written = [p.read_text() for p in tmp_path.glob("*-result.json")]
    assert len(written) == 1, f"Expected one Allure result file / Received {sorted(p.name for p in tmp_path.iterdir())}"
    assert secret not in written[0] and redact_mod.REDACTED in written[0], (
        f"Expected the key redacted in the Allure result / Received {written[0][:200]}")


def test_terminal_writer_adapter_redacts_output(secret, pytestconfig):
    """terminal.py wraps pytest's private TerminalReporter._tw._file: what the reporter prints carries no key."""
    from _pytest.terminal import TerminalReporter

    from flowise_conformance.plugins.safety.terminal import redact_terminal

    sink = io.StringIO()
    reporter = TerminalReporter(pytestconfig, sink)
    redact_terminal(reporter)
    reporter.write_line(f"key={secret}")
    assert secret not in sink.getvalue() and redact_mod.REDACTED in sink.getvalue(), (
        f"Expected the key redacted on the terminal / Received {sink.getvalue()!r}")


def test_importing_the_safety_plugin_patches_nothing():
    """Patches are switched on in pytest_configure only: importing every safety module leaves the libraries as
    they were (in a fresh interpreter, so this session's own plugin does not count)."""
    import subprocess
    import sys

    probe = """
import importlib, logging, pkgutil, signal
import httpx, requests
from allure_commons.logger import AllureFileLogger
seen = lambda: (httpx.HTTPTransport.handle_request, httpx.AsyncHTTPTransport.handle_async_request, httpx.Client.send,
                requests.Session.send, requests.adapters.HTTPAdapter.send, AllureFileLogger.__dict__.copy(),
                logging.getLogRecordFactory(), signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
before = seen()
package = importlib.import_module("flowise_conformance.plugins.safety")
for info in pkgutil.walk_packages(getattr(package, "__path__", []), package.__name__ + "."):
    importlib.import_module(info.name)
changed = [i for i, (a, b) in enumerate(zip(before, seen())) if a != b]
print(changed)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", (
        f"Expected no library patched at import (changed: []) / Received {done.stdout.strip()} {done.stderr[-500:]}")


def test_kept_body_adapter_serves_httpx_and_requests_reads():
    """bodies.keep_body stores a body read by bodies.read_body where httpx and requests keep their own read."""
    import requests

    from flowise_conformance.bodies import keep_body, kept_body

    body = b'{"id": "x1"}'
    streamed = httpx.Response(200, stream=httpx.ByteStream(body))
    raw = b"".join(streamed.iter_raw())
    streamed.close()
    keep_body(streamed, raw)
    plain = requests.Response()
    keep_body(plain, body)
    seen = {"httpx.json": streamed.json(), "httpx kept": kept_body(streamed), "requests.json": plain.json()}
    expected = {"httpx.json": {"id": "x1"}, "httpx kept": body, "requests.json": {"id": "x1"}}
    assert seen == expected, f"Expected {expected} / Received {seen}"
