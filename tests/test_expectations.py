"""Expectations files: the grammar, matching, and what a run does with them (docs/expectations.md)."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flowise_conformance.errors import UsageError
from flowise_conformance.expectations import Entry, Expectations, load, parse, static_test_ids, unknown_statically
from flowise_conformance.paths import suites_dir
from tests.conftest import clean_env

PING = "test_ping.py::test_ping_needs_no_api_key"
PONG = "test_ping.py::test_ping_answers_pong"
LISTED = "chatflows/test_chatflows_lifecycle.py::test_created_chatflow_is_listed"


def entry_toml(test: str, outcome: str = "failed", reason: str = "a reason", evidence: str = "GET / -> 500") -> str:
    return f'[[expect]]\ntest = "{test}"\noutcome = "{outcome}"\nreason = "{reason}"\nevidence = "{evidence}"\n'


# ---------------------------------------------------------------- the grammar


def test_a_valid_file_parses_into_entries():
    """Every field of a valid entry is kept, with its source (file#n)."""
    entries = parse('[about]\ntarget = "x"\n' + entry_toml(PING) + entry_toml("chatflows/*", "error"), "f.toml")
    assert [(e.test, e.outcome, e.source) for e in entries] == [(PING, "failed", "f.toml#1"),
                                                                ("chatflows/*", "error", "f.toml#2")]
    assert entries[0].reason == "a reason" and entries[0].evidence == "GET / -> 500"


@pytest.mark.parametrize("text, complaint", [
    ("[[expect]\n", "not valid TOML"),
    ('tests = 1\n', "unknown top-level key"),
    ('expect = "x"\n', "array of tables"),
    ('[[expect]]\ntest = "a.py::t"\noutcome = "failed"\nreason = "r"\n', "'evidence'"),
    ('[[expect]]\ntest = "a.py::t"\noutcome = "failed"\nreason = " "\nevidence = "e"\n', "'reason'"),
    ('[[expect]]\ntest = "a.py::t"\noutcome = "fails"\nreason = "r"\nevidence = "e"\n', "not one of"),
    ('[[expect]]\ntest = "a.py::t"\noutcome = "passed"\nreason = "r"\nevidence = "e"\n', "not one of"),
    ('[[expect]]\ntest = "a.py::t"\noutcome = "failed"\nreason = "r"\nevidence = "e"\nissue = "1"\n', "unknown key"),
    ('[[expect]]\ntest = "suites/a.py::t"\noutcome = "failed"\nreason = "r"\nevidence = "e"\n', "relative to suites/"),
    (entry_toml("a.py::t") + entry_toml("a.py::t"), "listed twice"),
])
def test_an_invalid_file_is_a_usage_error_naming_the_problem(text, complaint):
    """A malformed file, entry, field or value is refused with a message that names it."""
    with pytest.raises(UsageError, match="f.toml") as caught:
        parse(text, "f.toml")
    assert complaint in str(caught.value)


def test_a_test_listed_in_two_files_is_refused(tmp_path):
    """Two files may not both list the same test."""
    (tmp_path / "a.toml").write_text(entry_toml(PING))
    (tmp_path / "b.toml").write_text(entry_toml(PING, "error"))
    with pytest.raises(UsageError, match="listed twice"):
        load([tmp_path / "a.toml", tmp_path / "b.toml"])


def test_a_missing_file_is_a_usage_error(tmp_path):
    """A file that cannot be read is a usage error naming it."""
    with pytest.raises(UsageError, match="nope.toml"):
        load([tmp_path / "nope.toml"])


def test_the_draft_files_are_valid():
    """The drafts in expectations/drafts/ together follow the grammar (no entry listed twice)."""
    files = sorted((Path(__file__).parents[1] / "expectations" / "drafts").glob("*.toml"))
    if not files:
        pytest.skip("no expectations drafts in the checkout")
    table = load(files)
    assert table.entries, "the drafts list no entry"


def test_the_shipped_file_is_the_assembly_of_the_drafts():
    """expectations/flowise-3.1.4.toml is derived from the drafts (one source of truth); a hand edit or a
    draft changed without re-assembling would let the two disagree."""
    from flowise_conformance import expectations_assembly as assembly

    files = assembly.drafts()
    if not files:
        pytest.skip("no expectations drafts in the checkout")
    expected = assembly.assemble(files).splitlines()
    received = assembly.shipped().read_text(encoding="utf-8").splitlines()
    first = next((n for n, pair in enumerate(zip(expected, received)) if pair[0] != pair[1]),
                 min(len(expected), len(received)))
    assert expected == received, (
        f"Expected {assembly.shipped().name} to equal the assembly of expectations/drafts/ "
        f"(python -m flowise_conformance.expectations_assembly)\n"
        f"Received a difference at line {first + 1}: {received[first:first + 1]} instead of {expected[first:first + 1]}")


def test_the_checked_in_expectations_files_are_valid():
    """Each checked-in expectations file (expectations/<server>.toml) follows the grammar on its own."""
    files = sorted((Path(__file__).parents[1] / "expectations").glob("*.toml"))
    assert files, "expectations/flowise-3.1.4.toml is missing"
    for file in files:
        assert load([file]).entries, f"{file} lists no entry"


# ---------------------------------------------------------------- matching


def _entry(test: str, outcome: str = "failed") -> Entry:
    return Entry(test, outcome, "r", "e", "f#1")


@pytest.mark.parametrize("pattern, test_id, matches", [
    ("a/test_x.py::test_y", "a/test_x.py::test_y", True),
    ("a/test_x.py::test_y", "a/test_x.py::test_y2", False),
    ("a/test_x.py::test_y", "a/test_x.py::test_y[GET /p]", True),
    ("a/test_x.py", "a/test_x.py::test_y", True),
    ("a/test_x.py", "a/test_x.pyc::test_y", False),
    ("a/*", "a/test_x.py::test_y", True),
    ("a/*", "b/test_x.py::test_y", False),
    ("*::test_y?", "a/test_x.py::test_y2", True),
    ("a/test_x.py::test_y[GET /p]", "a/test_x.py::test_y[GET /p]", True),
    ("a/test_x.py::test_y[GET /p]", "a/test_x.py::test_y[GET /q]", False),
])
def test_an_entry_matches_its_node_id_its_file_its_cases_or_its_glob(pattern, test_id, matches):
    """Exact ids match themselves, their parametrized cases and (for a file) its tests; * and ? are globs."""
    assert _entry(pattern).matches(test_id) is matches


def test_an_exact_entry_beats_a_glob():
    """When an exact id and a glob both match, the exact entry decides."""
    table = Expectations([_entry("a/*", "error"), _entry("a/t.py::test_y", "failed")])
    found = table.lookup("a/t.py::test_y")
    assert found is not None and found.outcome == "failed"


def test_globs_that_disagree_on_a_test_are_a_usage_error():
    """Two globs matching one test with different outcomes cannot both be right."""
    table = Expectations([_entry("a/*", "error"), _entry("*::test_y", "failed")])
    with pytest.raises(UsageError, match="different outcomes"):
        table.lookup("a/t.py::test_y")


def test_static_ids_are_read_from_the_suites_without_importing_them():
    """The static fallback knows the suites' files and test functions."""
    ids = static_test_ids(suites_dir())
    assert PING in ids and "test_ping.py" in ids and LISTED in ids


def test_static_check_ignores_parametrization_but_not_names():
    """A parametrized id is known if its function exists; an unknown function or file is not."""
    entries = [_entry(PING + "[x]"), _entry("test_ping.py::test_nope"), _entry("nope/*"), _entry("chatflows/*")]
    assert [e.test for e in unknown_statically(entries, suites_dir())] == ["test_ping.py::test_nope", "nope/*"]


# ---------------------------------------------------------------- runs


def run(tmp: Path, *args: str, run_id: str = "r1", timeout: float = 300) -> tuple[int, str, dict | None]:
    """flowise-conformance run ARGS (embedded reference server); returns (exit code, output, summary)."""
    report_dir = tmp / "reports"
    cmd = [sys.executable, "-m", "flowise_conformance", "run", "--report-dir", str(report_dir), "--run-id", run_id, *args]
    proc = subprocess.run(cmd, cwd=tmp, env=clean_env(), capture_output=True, text=True, timeout=timeout)
    summary_file = report_dir / run_id / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, summary


def by_id(summary: dict) -> dict[str, dict]:
    return {t["id"]: t for t in summary["tests"]}


@pytest.fixture(scope="module")
def listed_run(tmp_path_factory):
    """Two faults on; one caught test listed as failed, one passing test listed (stale)."""
    tmp = tmp_path_factory.mktemp("listed")
    (tmp / "exp.toml").write_text(entry_toml(LISTED, reason="lists without the newest") + entry_toml(PONG))
    result = run(tmp, "--reference-fault", "chatflow-not-listed", "--reference-fault", "ping-needs-key",
                 "--expectations", str(tmp / "exp.toml"),
                 str(suites_dir() / "test_ping.py"), str(suites_dir() / "chatflows" / "test_chatflows_lifecycle.py"))
    return tmp, result


def test_a_listed_failure_is_an_expected_failure(listed_run):
    """A test that fails as listed is reported as expected-failure, with the entry, not as failed."""
    _, (code, output, summary) = listed_run
    test = by_id(summary)[LISTED]
    assert test["outcome"] == "expected-failure", output[-3000:]
    assert test["expectation"]["reason"] == "lists without the newest" and test["gate"] == "ok"
    assert "created chatflow not listed" in test["details"]


def test_a_listed_test_that_passes_is_a_stale_expectation(listed_run):
    """A listed test that passes is stale: reported as such and failing the gate."""
    _, (code, output, summary) = listed_run
    test = by_id(summary)[PONG]
    assert test["outcome"] == "stale-expectation" and test["gate"] == "fail"
    assert "stale expectation" in test["message"] and PONG in summary["gate"]["failing"]
    assert code == 1


def test_an_unlisted_failure_stays_a_failure(listed_run):
    """Expectations change nothing for tests they do not list."""
    _, (code, output, summary) = listed_run
    assert by_id(summary)[PING]["outcome"] == "failed" and by_id(summary)[PING]["expectation"] is None


def test_junit_keeps_the_outcomes_apart(listed_run):
    """junit.xml: expected failure is a pytest.xfail skip, stale a failure; each case has an fc_outcome property."""
    tmp, _ = listed_run
    cases = {c.get("name"): c for c in ET.parse(tmp / "reports" / "r1" / "junit.xml").getroot().iter("testcase")}
    listed = cases["test_created_chatflow_is_listed"]
    assert listed.find("skipped").get("type") == "pytest.xfail"
    props = {(p.get("name"), p.get("value")) for p in listed.iter("property")}
    assert ("fc_outcome", "expected-failure") in props
    stale = cases["test_ping_answers_pong"]
    assert stale.find("failure") is not None
    assert ("fc_outcome", "stale-expectation") in {(p.get("name"), p.get("value")) for p in stale.iter("property")}


def test_only_the_expected_failures_do_not_fail_the_run(tmp_path):
    """With every failure listed (and nothing stale) the run exits 0."""
    (tmp_path / "exp.toml").write_text(entry_toml(PING))
    code, output, summary = run(tmp_path, "--reference-fault", "ping-needs-key", "--expectations",
                                str(tmp_path / "exp.toml"), str(suites_dir() / "test_ping.py"))
    assert code == 0, output[-3000:]
    assert summary["counts"]["expected-failure"] == 1 and summary["gate"]["verdict"] == "pass"


def test_an_entry_for_no_test_is_exit_2_before_any_test_runs(tmp_path):
    """An entry that matches no test of the suites is a config error: exit 2, naming the entry, nothing run."""
    (tmp_path / "exp.toml").write_text(entry_toml(PING) + entry_toml("test_ping.py::test_ping_was_renamed"))
    code, output, summary = run(tmp_path, "--expectations", str(tmp_path / "exp.toml"), "-k", "ping")
    assert code == 2, output[-3000:]
    assert "test_ping_was_renamed" in output and "exp.toml#2" in output
    assert summary is None, "a run stopped by a config error must not leave a summary (--rerun-failed reads it)"


def test_an_entry_for_a_deselected_test_is_not_unknown(tmp_path):
    """An entry for a test that -k or --profile left out is fine: the test exists."""
    (tmp_path / "exp.toml").write_text(entry_toml(LISTED))
    code, output, summary = run(tmp_path, "--expectations", str(tmp_path / "exp.toml"), "--profile", "ping")
    assert code == 0, output[-3000:]
    assert LISTED not in by_id(summary) and summary["counts"]["passed"] > 0


def test_unknown_entries_are_found_when_only_part_of_the_suites_is_collected(tmp_path):
    """With a path selecting one file, entries elsewhere are checked against the sources: known ok, unknown exit 2."""
    (tmp_path / "ok.toml").write_text(entry_toml(LISTED))
    code, output, _ = run(tmp_path, "--expectations", str(tmp_path / "ok.toml"), str(suites_dir() / "test_ping.py"))
    assert code == 0, output[-3000:]
    (tmp_path / "bad.toml").write_text(entry_toml("chatflows/test_nope.py::test_x"))
    code, output, _ = run(tmp_path, "--expectations", str(tmp_path / "bad.toml"), str(suites_dir() / "test_ping.py"),
                          run_id="r2")
    assert code == 2 and "chatflows/test_nope.py::test_x" in output, output[-3000:]


def test_unknown_entries_are_found_under_xdist(tmp_path):
    """Under -n the controller collects nothing; it still refuses an unknown entry (exit 2), without a crash."""
    (tmp_path / "bad.toml").write_text(entry_toml("test_ping.py::test_nope"))
    code, output, _ = run(tmp_path, "--expectations", str(tmp_path / "bad.toml"), "-n", "2",
                          str(suites_dir() / "test_ping.py"))
    assert code == 2 and "test_ping.py::test_nope" in output, output[-3000:]
    assert "INTERNALERROR" not in output


def test_an_invalid_expectations_file_is_exit_2(tmp_path):
    """A file that breaks the grammar stops the run with exit 2 and the reason."""
    (tmp_path / "bad.toml").write_text('[[expect]]\ntest = "test_ping.py"\noutcome = "flaky"\n')
    code, output, _ = run(tmp_path, "--expectations", str(tmp_path / "bad.toml"), str(suites_dir() / "test_ping.py"))
    assert code == 2 and "bad.toml" in output and "outcome" in output, output[-3000:]
