"""The gate and the selection: levels, profiles, --strict, errors, --rerun-failed (report/gate.py, plugins/gating.py)."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from flowise_conformance.outcomes import Outcome
from flowise_conformance.paths import suites_dir
from flowise_conformance.report import gate
from tests.test_expectations import by_id, entry_toml, run

SHOULD_FAULT = "chatflow-delete-result-empty"  # caught by a SHOULD test of chatflows/test_chatflows_delete.py
SHOULD_FILE = str(suites_dir() / "chatflows" / "test_chatflows_delete.py")


@pytest.mark.parametrize("outcome, level, strict, effect", [
    ("passed", "MUST", False, "ok"), ("skipped", "MUST", True, "ok"), ("expected-failure", "MUST", True, "ok"),
    ("failed", "MUST", False, "fail"), ("failed", "SHOULD", False, "warn"), ("failed", "MAY", False, "warn"),
    ("failed", "SHOULD", True, "fail"), ("failed", "MAY", True, "fail"), ("failed", None, False, "fail"),
    ("error", "MUST", False, "fail"), ("error", "MAY", False, "fail"),
    ("stale-expectation", "MAY", False, "fail"), ("stale-expectation", "SHOULD", False, "fail"),
])
def test_each_outcome_has_its_documented_effect_on_the_gate(outcome, level, strict, effect):
    """The table in report/gate.py: MUST failures, errors and stale expectations gate; SHOULD/MAY failures warn."""
    assert gate.effect(outcome, level, strict) == effect


def test_every_outcome_has_an_effect():
    """No outcome of the vocabulary is left out of the gate."""
    for outcome in Outcome:
        assert gate.effect(outcome, "MUST") in ("ok", "warn", "fail")


def test_the_exit_code_is_1_only_with_gating_results():
    """Warnings alone give exit 0 and the verdict pass-with-warnings."""
    warned = gate.evaluate([("a", "failed", "SHOULD"), ("b", "passed", "MUST")])
    assert (warned.exit_code, warned.verdict, warned.warnings) == (0, "pass-with-warnings", ["a"])
    failed = gate.evaluate([("a", "failed", "SHOULD"), ("b", "error", "MAY")])
    assert (failed.exit_code, failed.verdict, failed.failing) == (1, "fail", ["b"])


# ---------------------------------------------------------------- runs


@pytest.fixture(scope="module")
def should_runs(tmp_path_factory):
    """A fault caught by a SHOULD test, run without and with --strict."""
    tmp = tmp_path_factory.mktemp("should")
    loose = run(tmp, "--reference-fault", SHOULD_FAULT, SHOULD_FILE, run_id="loose")
    strict = run(tmp, "--reference-fault", SHOULD_FAULT, "--strict", SHOULD_FILE, run_id="strict")
    return loose, strict


def _should_failures(summary: dict) -> list[dict]:
    failed = [t for t in summary["tests"] if t["outcome"] == "failed"]
    assert failed and all(t["level"] == "SHOULD" for t in failed), \
        f"precondition: {SHOULD_FAULT} must be caught by SHOULD tests only, got {[(t['id'], t['level']) for t in failed]}"
    return failed


def test_a_should_failure_is_a_warning_with_exit_0(should_runs):
    """Without --strict a SHOULD failure stays 'failed' in the summary, is a warning, and the run exits 0."""
    code, output, summary = should_runs[0]
    failed = _should_failures(summary)
    assert code == 0, output[-3000:]
    assert all(t["gate"] == "warn" for t in failed)
    assert summary["gate"]["verdict"] == "pass-with-warnings"
    assert "not gating without --strict" in output


def test_strict_makes_a_should_failure_fail_the_run(should_runs):
    """With --strict the same SHOULD failure fails the gate: exit 1."""
    code, output, summary = should_runs[1]
    failed = _should_failures(summary)
    assert code == 1, output[-3000:]
    assert summary["selection"]["strict"] is True and all(t["gate"] == "fail" for t in failed)


def test_level_must_runs_only_must_tests(tmp_path):
    """--level MUST deselects SHOULD and MAY tests (and so the SHOULD failure is not run)."""
    code, output, summary = run(tmp_path, "--reference-fault", SHOULD_FAULT, "--level", "MUST", SHOULD_FILE)
    assert code == 0, output[-3000:]
    assert summary["tests"] and {t["level"] for t in summary["tests"]} == {"MUST"}
    assert summary["selection"]["level"] == "MUST" and summary["selection"]["deselected"] > 0


def test_a_resource_profile_selects_that_resource_only(tmp_path):
    """--profile <resource> runs only the tests whose resource marker names it."""
    code, output, summary = run(tmp_path, "--profile", "ping", str(suites_dir() / "test_ping.py"),
                                str(suites_dir() / "chatflows" / "test_chatflows_lifecycle.py"))
    assert code == 0, output[-3000:]
    assert summary["tests"] and {t["resource"] for t in summary["tests"]} == {"ping"}
    assert summary["selection"]["profiles"] == ["ping"]


def test_core_profile_is_the_must_tests_of_the_core_resources(tmp_path):
    """--profile core keeps MUST tests of core resources and leaves out SHOULD tests and other resources."""
    code, output, summary = run(tmp_path, "--profile", "core", SHOULD_FILE, str(suites_dir() / "tools"))
    assert code == 0, output[-3000:]
    assert summary["tests"], "core selected nothing from the chatflows delete file"
    assert {t["level"] for t in summary["tests"]} == {"MUST"}
    assert {t["resource"] for t in summary["tests"]} == {"chatflows"}


def test_core_profile_keeps_the_must_streaming_tests(tmp_path):
    """--profile core keeps the MUST SSE tests: framing and event order are MUST for createPrediction (spec/README.md)."""
    code, output, _ = run(tmp_path, "--profile", "core", "--collect-only", "-q", "-p", "no:xdist",
                          str(suites_dir() / "contracts" / "test_sse.py"))
    selected = [line for line in output.splitlines() if "test_sse.py::" in line]
    assert code == 0 and selected, (
        f"Expected: --profile core selects the MUST tests of contracts/test_sse.py\n"
        f"Received: exit {code}, {len(selected)} selected\n{output[-2000:]}")


def test_an_unknown_profile_is_exit_2(tmp_path):
    """A profile that is neither core, full nor a resource is a usage error."""
    code, output, _ = run(tmp_path, "--profile", "nonsense", str(suites_dir() / "test_ping.py"))
    assert code == 2 and "nonsense" in output, output[-3000:]


def test_rerun_failed_runs_only_the_failures_of_the_last_run(tmp_path):
    """--rerun-failed selects exactly the failed tests of the previous run in the report dir."""
    files = [str(suites_dir() / "test_ping.py"), str(suites_dir() / "chatflows" / "test_chatflows_lifecycle.py")]
    code, _, first = run(tmp_path, "--reference-fault", "ping-needs-key", "--reference-fault", "chatflow-not-listed",
                         *files, run_id="first")
    failed = {t["id"] for t in first["tests"] if t["outcome"] == "failed"}
    assert code == 1 and len(failed) == 2 and len(first["tests"]) > 2
    code, output, second = run(tmp_path, "--rerun-failed", *files, run_id="second")
    assert code == 0, output[-3000:]
    assert {t["id"] for t in second["tests"]} == failed
    assert second["selection"]["rerun_of"] == "first"
    code, output, _ = run(tmp_path, "--rerun-failed", *files, run_id="third")
    assert code == 0 and "nothing to rerun" in output, output[-3000:]


def test_rerun_failed_without_a_previous_run_is_exit_2(tmp_path):
    """There must be a previous run to rerun."""
    code, output, _ = run(tmp_path, "--rerun-failed", str(suites_dir() / "test_ping.py"))
    assert code == 2 and "no previous run" in output, output[-3000:]


# ---------------------------------------------------------------- errors


class _Broken(http.server.BaseHTTPRequestHandler):
    """Answers ping and version like Flowise, an empty list to every other GET (so the
    start-of-run inventory works), and 500 to every write."""

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/api/v1/ping":
            return self._send(200, b"pong", "text/plain")
        if self.path == "/api/v1/version":
            return self._send(200, b'{"version": "9.9.9-broken"}', "application/json")
        return self._send(200, b"[]", "application/json")  # every list empty: the start-of-run inventory works

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(500, b'{"statusCode":500,"success":false,"message":"broken","stack":{}}', "application/json")

    do_DELETE = do_PUT = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broken_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


ERRORING = "chatflows/test_chatflows_lifecycle.py::test_get_returns_the_created_chatflow"


def test_a_test_whose_fixture_cannot_run_is_an_error_and_fails_the_run(tmp_path, broken_server):
    """When the chatflow fixture cannot create its chatflow the test is 'error' (not failed) and the run exits 1."""
    code, output, summary = run(tmp_path, "--base-url", broken_server, "--api-key", "k-err-1234",
                                str(suites_dir() / ERRORING))
    test = by_id(summary)[ERRORING]
    assert (test["outcome"], test["phase"], test["gate"]) == ("error", "setup", "fail"), output[-3000:]
    assert "could not create a chatflow" in test["message"]
    assert code == 1
    assert summary["server_version"] == "9.9.9-broken"


def test_a_listed_error_is_an_expected_failure(tmp_path, broken_server):
    """An error listed with outcome = "error" is an expected failure; listed as "failed" it stays an error."""
    (tmp_path / "err.toml").write_text(entry_toml(ERRORING, "error"))
    code, output, summary = run(tmp_path, "--base-url", broken_server, "--api-key", "k-err-1234",
                                "--expectations", str(tmp_path / "err.toml"), str(suites_dir() / ERRORING))
    assert by_id(summary)[ERRORING]["outcome"] == "expected-failure" and code == 0, output[-3000:]
    (tmp_path / "fail.toml").write_text(entry_toml(ERRORING, "failed"))
    code, output, summary = run(tmp_path, "--base-url", broken_server, "--api-key", "k-err-1234",
                                "--expectations", str(tmp_path / "fail.toml"), str(suites_dir() / ERRORING),
                                run_id="r2")
    test = by_id(summary)[ERRORING]
    assert test["outcome"] == "error" and code == 1, output[-3000:]
    assert "lists it as failed" in test["details"]


def test_the_summary_is_written_with_schema_2(tmp_path):
    """summary.json carries schema_version 2 and the documented top-level keys (docs/summary-schema.md)."""
    code, _, summary = run(tmp_path, str(suites_dir() / "test_ping.py"))
    assert code == 0 and summary["schema_version"] == 2
    doc = (Path(__file__).parents[1] / "docs" / "summary-schema.md").read_text()
    for key in summary:
        assert f"`{key}`" in doc, f"summary key {key} is not documented"
    for key in summary["tests"][0]:
        assert f"`{key}`" in doc, f"test key {key} is not documented"
    assert json.dumps(summary)  # plain JSON
