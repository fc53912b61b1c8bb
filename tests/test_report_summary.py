"""summary.json model: schema, loading old versions, messages and reproductions (report/summary.py)."""
from __future__ import annotations

import json

import pytest

from flowise_conformance.outcomes import Outcome
from flowise_conformance.plugins.reporting import failure_message
from flowise_conformance.redact import register_secret
from flowise_conformance.report.summary import RunSummary, TestResult, load, reproductions


def test_counts_totals_and_gate_agree_with_the_tests(tmp_path):
    """counts, totals by resource/level and the gate are all computed from the same test list."""
    summary = RunSummary("r", {"name": "t"})
    summary.tests = {
        "a": TestResult("a", Outcome.PASSED, resource="ping", level="MUST"),
        "b": TestResult("b", Outcome.FAILED, resource="ping", level="SHOULD"),
        "c": TestResult("c", Outcome.ERROR, resource="chatflows", level="MAY"),
    }
    data = summary.write(tmp_path / "summary.json")
    assert data["counts"]["passed"] == 1 and data["counts"]["failed"] == 1 and data["counts"]["error"] == 1
    assert data["totals"]["by_resource"]["ping"]["failed"] == 1 and data["totals"]["by_level"]["MAY"]["error"] == 1
    assert data["gate"] == {"verdict": "fail", "exit_code": 1, "strict": False, "failing": ["c"], "warnings": ["b"]}
    assert load(tmp_path / "summary.json") == json.loads((tmp_path / "summary.json").read_text())


def test_strict_turns_warnings_into_gating_failures():
    """With strict set, a SHOULD failure is failing, per test and in the gate."""
    summary = RunSummary("r", {}, strict=True)
    summary.tests = {"b": TestResult("b", Outcome.FAILED, level="SHOULD")}
    data = summary.as_json()
    assert data["tests"][0]["gate"] == "fail" and data["gate"]["failing"] == ["b"]


def test_a_version_1_summary_is_upgraded_when_loaded(tmp_path):
    """Schema 1 files (no gate, totals, selection) load with those fields computed."""
    v1 = {"schema_version": 1, "run_id": "old", "target": {}, "counts": {},
          "tests": [{"id": "a", "outcome": "failed", "duration_s": 0.1, "message": "m", "resource": "ping",
                     "level": "SHOULD", "mutating": False}]}
    (tmp_path / "s.json").write_text(json.dumps(v1))
    data = load(tmp_path / "s.json")
    assert data["gate"]["warnings"] == ["a"] and data["totals"]["by_resource"]["ping"]["failed"] == 1
    assert data["tests"][0]["reproduce"] == [] and data["selection"]["profiles"] == []


@pytest.mark.parametrize("content", ["{", json.dumps({"schema_version": 3, "tests": []}), json.dumps({"schema_version": 2})])
def test_an_unreadable_summary_is_a_value_error(tmp_path, content):
    """Broken JSON, an unknown version or no tests list: ValueError naming the file."""
    (tmp_path / "s.json").write_text(content)
    with pytest.raises(ValueError, match="s.json"):
        load(tmp_path / "s.json")


def test_reproductions_come_from_the_transcript_else_from_the_failure():
    """curl lines are taken from the transcript; schemathesis' 'Reproduce with' curl when there is none."""
    assert reproductions("> GET x\nreproduce: curl -X GET x\n\n> POST y\nreproduce: curl -X POST y") == \
        ["curl -X GET x", "curl -X POST y"]
    details = "  | Reproduce with:\n  | \n  |     curl -X GET http://h/api/v1/ping\n"
    assert reproductions("", details) == ["curl -X GET http://h/api/v1/ping"]


def test_the_key_never_reaches_the_summary():
    """A registered secret in any text field is written as [REDACTED]."""
    register_secret("fc-summary-secret-77")
    result = TestResult("a", Outcome.FAILED, message="key fc-summary-secret-77", details="fc-summary-secret-77",
                        transcript="> authorization: Bearer fc-summary-secret-77\nreproduce: curl -H fc-summary-secret-77")
    text = json.dumps(result.as_json())
    assert "fc-summary-secret-77" not in text and "[REDACTED]" in text


@pytest.mark.parametrize("text, message", [
    ("def t():\n>   assert x\nE   AssertionError: nope\nE   assert 1 == 2\n\nfile.py:3: AssertionError",
     "AssertionError: nope\nassert 1 == 2"),
    ("E   flowise_conformance.checks.core.ConformanceFailure: GET /ping\nE     Expected: status 200\n",
     "ConformanceFailure: GET /ping\nExpected: status 200"),
    ("+ Exception Group Traceback\n  | schemathesis.core.failures.FailureGroup: found 1\n  | - ST103\n  | Reproduce with:\n",
     "FailureGroup: found 1\n- ST103"),
    ("[stale expectation] x passed", "[stale expectation] x passed"),
])
def test_the_message_is_the_failure_not_the_traceback(text, message):
    """The summary's message is pytest's final E block or the exception line, without module paths."""
    assert failure_message(text) == message


def _interrupted_run() -> RunSummary:
    summary = RunSummary("r", {"name": "t"}, interrupted=True, planned=3)
    summary.tests = {"a": TestResult("a", Outcome.PASSED, resource="ping", level="MUST")}
    return summary


def test_an_interrupted_run_has_its_own_verdict_and_exit_code_130(tmp_path):
    """An interrupted run whose finished tests passed is 'interrupted' with exit 130 in summary.json, never 'pass'."""
    data = _interrupted_run().write(tmp_path / "summary.json")
    assert (data["interrupted"], data["gate"]["verdict"], data["gate"]["exit_code"]) == (True, "interrupted", 130), (
        f"Expected: interrupted, verdict interrupted, exit 130\nReceived: {data['interrupted']}, {data['gate']}")
    assert data["planned"] == 3


def test_an_interrupted_summary_written_before_the_verdict_existed_loads_as_interrupted(tmp_path):
    """A file with "interrupted": true and verdict pass (older writers) is read as interrupted, exit 130."""
    data = _interrupted_run().as_json()
    data["gate"].update(verdict="pass", exit_code=0)
    (tmp_path / "s.json").write_text(json.dumps(data))
    gate = load(tmp_path / "s.json")["gate"]
    assert (gate["verdict"], gate["exit_code"]) == ("interrupted", 130), f"Received: {gate}"


def test_report_html_shows_an_interrupted_run_as_interrupted_not_pass():
    """report.html's verdict of an interrupted run says INTERRUPTED with the number of tests that ran, not PASS."""
    from flowise_conformance.report.html import render

    page = render(_interrupted_run().as_json())
    assert 'data-fc-value="interrupted"' in page and "INTERRUPTED (partial run): 1 of 3 selected tests ran" in page
    assert ">PASS" not in page, "Expected: no PASS verdict\nReceived: a PASS in report.html"
