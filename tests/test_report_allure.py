"""Allure results of `flowise-conformance run`: where they go, their labels, distinct history ids, no key."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from flowise_conformance.paths import suites_dir
from tests.test_expectations import PING, PONG, entry_toml, run

KEY = "fc-allure-selftest-key-9b7e"


@pytest.fixture(scope="module")
def allure_run(tmp_path_factory):
    """Ping tests (an expected failure, a stale expectation), a keyed failure, two schemathesis operation items."""
    tmp = tmp_path_factory.mktemp("allure")
    (tmp / "exp.toml").write_text(entry_toml(PING) + entry_toml(PONG))
    code, output, summary = run(
        tmp, "--api-key", KEY, "--reference-fault", "ping-needs-key", "--reference-fault", "chatflow-not-listed",
        "--expectations", str(tmp / "exp.toml"), str(suites_dir() / "test_ping.py"),
        str(suites_dir() / "chatflows" / "test_chatflows_lifecycle.py"), str(suites_dir() / "fuzz" / "test_fuzz_operations.py"),
        "--fuzz-operation", "GET /api/v1/ping", "--fuzz-operation", "GET /api/v1/chatflows", run_id="allure")
    assert summary is not None, output[-3000:]
    results_dir = tmp / "reports" / "allure" / "allure-results"
    results = [json.loads(p.read_text()) for p in results_dir.glob("*-result.json")]
    return results_dir, results, summary


def test_results_go_to_the_run_directory_by_default(allure_run):
    """Without --alluredir, `run` writes allure results to reports/<run-id>/allure-results, one per test."""
    _, results, summary = allure_run
    assert len(results) == len(summary["tests"]) > 0


def test_every_result_has_its_own_history_id(allure_run):
    """Parametrized items, schemathesis' one-item-per-operation included, do not share a history id."""
    _, results, _ = allure_run
    ids = Counter(r["historyId"] for r in results)
    assert all(n == 1 for n in ids.values()), [r["name"] for r in results if ids[r["historyId"]] > 1]
    fuzz = [r for r in results if "test_operation_conforms" in r["name"]]
    assert len(fuzz) == 2, [r["name"] for r in results]


def test_results_carry_level_and_resource_labels(allure_run):
    """Severity follows the level (MUST critical), feature is the resource, the level is a tag."""
    _, results, _ = allure_run
    ping = next(r for r in results if r["name"] == "test_ping_needs_no_api_key")
    labels = {(label["name"], label["value"]) for label in ping["labels"]}
    assert {("severity", "critical"), ("feature", "ping"), ("tag", "MUST")} <= labels
    assert "without an API key" in (ping.get("description") or "")


def test_expected_failure_is_not_a_plain_pass_or_failure(allure_run):
    """An expected failure shows as skipped with an XFAIL message naming the expectation."""
    _, results, summary = allure_run
    ping = next(r for r in results if r["name"] == "test_ping_needs_no_api_key")
    assert ping["status"] == "skipped" and "XFAIL expected failed" in ping["statusDetails"]["message"]


def test_a_stale_expectation_is_a_failure_not_a_pass(allure_run):
    """A listed test that passed shows as failed in allure, as in every other report."""
    _, results, summary = allure_run
    pong = next(r for r in results if r["name"] == "test_ping_answers_pong")
    assert {t["id"]: t["outcome"] for t in summary["tests"]}[PONG] == "stale-expectation"
    assert pong["status"] == "failed"


def test_a_failure_has_its_transcript_attached(allure_run):
    """The request/response transcript of a failing test is an attachment of its result."""
    results_dir, results, _ = allure_run
    ping = next(r for r in results if r["name"] == "test_ping_needs_no_api_key")
    attached = [a for a in ping.get("attachments", []) if a["name"].startswith("transcript")]
    assert attached, ping.get("attachments")
    assert "GET " in (results_dir / attached[0]["source"]).read_text()


def test_no_allure_file_holds_the_api_key(allure_run):
    """The key is in no result, container or attachment."""
    results_dir, _, summary = allure_run
    texts = {path.name: path.read_text(errors="replace") for path in results_dir.iterdir()}
    assert any("Bearer [REDACTED]" in text for text in texts.values()), "no keyed request was attached"
    assert [name for name, text in texts.items() if KEY in text] == []


def test_ids_in_the_summary_are_relative_to_suites(allure_run):
    """The summary names tests by their node id relative to suites/ (as expectations do)."""
    _, _, summary = allure_run
    assert PING in {t["id"] for t in summary["tests"]}
