"""`flowise-conformance compare OLD NEW` and `flowise-conformance matrix RUN...`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowise_conformance.paths import suites_dir
from flowise_conformance.reference.faults import all_faults
from flowise_conformance.report.compare import compare
from flowise_conformance.report.matrix import build, render_markdown
from tests.conftest import clean_env
from tests.test_expectations import LISTED, PING, run

FAULTS = ("ping-needs-key", "chatflow-not-listed")


def summary(tests: dict[str, str], name: str = "srv", version: str | None = None, run_id: str = "r") -> dict:
    return {"schema_version": 2, "run_id": run_id, "target": {"name": name}, "server_version": version,
            "tests": [{"id": i, "outcome": o, "level": "MUST"} for i, o in tests.items()]}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowise_conformance", *args], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=120)


def write(path: Path, data: dict) -> str:
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("old, new, kind", [
    ("passed", "failed", "regressions"), ("passed", "error", "regressions"), ("passed", "expected-failure", "regressions"),
    ("failed", "passed", "fixes"), ("error", "passed", "fixes"), ("expected-failure", "stale-expectation", "fixes"),
    ("passed", "skipped", "changed"), ("skipped", "failed", "changed"), ("failed", "error", "changed"),
    ("passed", "stale-expectation", "changed"),
])
def test_a_change_of_outcome_is_sorted_by_what_the_server_did(old, new, kind):
    """pass -> fail is a regression, fail -> pass a fix, anything else a change (expectations do not hide it)."""
    result = compare(summary({"t": old}), summary({"t": new}))
    assert getattr(result, kind) == [("t", old, new)]
    assert result.exit_code == (1 if kind == "regressions" else 0)


def test_added_removed_and_unchanged_tests_are_reported():
    """Tests only in NEW are added, only in OLD removed; equal outcomes are counted as unchanged."""
    result = compare(summary({"a": "passed", "b": "failed"}), summary({"a": "passed", "c": "passed"}))
    assert (result.added, result.removed, result.unchanged) == ([("c", "passed")], [("b", "failed")], 1)
    assert result.exit_code == 0


def test_compare_cli_exits_1_on_a_regression_and_0_otherwise(tmp_path):
    """The CLI prints the sections and exits 1 exactly when something regressed."""
    old = write(tmp_path / "old.json", summary({"a": "passed", "b": "failed"}))
    worse = write(tmp_path / "worse.json", summary({"a": "failed", "b": "failed"}))
    better = write(tmp_path / "better.json", summary({"a": "passed", "b": "passed"}))
    proc = cli("compare", old, worse, cwd=tmp_path)
    assert proc.returncode == 1 and "regressions: 1\n  a: passed -> failed" in proc.stdout
    proc = cli("compare", old, better, "--json", cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["fixes"] == [{"id": "b", "old": "failed", "new": "passed"}]


def test_compare_cli_reads_run_directories_and_version_1(tmp_path):
    """A run directory stands for its summary.json; a schema 1 file is still read."""
    (tmp_path / "run1").mkdir()
    v1 = summary({"a": "passed"})
    v1["schema_version"] = 1
    write(tmp_path / "run1" / "summary.json", v1)
    new = write(tmp_path / "new.json", summary({"a": "passed"}))
    proc = cli("compare", str(tmp_path / "run1"), new, cwd=tmp_path)
    assert proc.returncode == 0 and "unchanged: 1" in proc.stdout, proc.stderr


def test_compare_cli_exits_2_on_an_unreadable_file(tmp_path):
    """A missing file or an unknown schema version is exit 2 with one line, no traceback."""
    (tmp_path / "future.json").write_text(json.dumps({"schema_version": 99, "tests": []}))
    for bad in (str(tmp_path / "missing.json"), str(tmp_path / "future.json")):
        proc = cli("compare", bad, bad, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.strip(), proc.stderr


def test_green_run_against_two_faults_reports_exactly_their_tests_as_regressions(tmp_path):
    """Acceptance: compare(green, run with two faults) lists exactly the tests that catch those faults."""
    files = [str(suites_dir() / "test_ping.py"), str(suites_dir() / "chatflows" / "test_chatflows_lifecycle.py")]
    code, output, _ = run(tmp_path, *files, run_id="green")
    assert code == 0, output[-3000:]
    faults = [a for name in FAULTS for a in ("--reference-fault", name)]
    code, output, _ = run(tmp_path, *faults, *files, run_id="faulty")
    assert code == 1, output[-3000:]
    proc = cli("compare", str(tmp_path / "reports" / "green"), str(tmp_path / "reports" / "faulty"), "--json",
               cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    selected = ("test_ping.py::", "chatflows/test_chatflows_lifecycle.py::")  # the files this test runs
    caught = {test for fault in all_faults() if fault.name in FAULTS for test in fault.caught_by
              if test.startswith(selected)}
    assert {r["id"] for r in result["regressions"]} == caught == {PING, LISTED}
    assert result["fixes"] == result["added"] == result["removed"] == result["changed"] == []


def test_matrix_has_a_row_per_test_and_a_column_per_run():
    """Columns are labelled by target name and server version; a missing test is an empty cell."""
    runs = [summary({"a": "passed", "b": "failed"}, "Flowise", "3.1.4", "r1"),
            summary({"a": "passed", "c": "skipped"}, "Flowise", "3.2.0", "r2"),
            summary({"a": "failed"}, "reference", None, "r3")]
    matrix = build(runs)
    assert matrix.columns == ["Flowise 3.1.4", "Flowise 3.2.0", "reference"]
    assert matrix.rows == [("a", ["passed", "passed", "failed"]), ("b", ["failed", None, None]),
                           ("c", [None, "skipped", None])]
    text = render_markdown(matrix)
    assert "| test | Flowise 3.1.4 | Flowise 3.2.0 | reference |" in text
    assert "| **≠** `a` | pass | pass | FAIL |" in text


def test_a_version_already_in_the_name_is_not_repeated():
    """A target named after its version ("flowise-3.1.4") is not labelled "flowise-3.1.4 3.1.4"."""
    assert build([summary({"a": "passed"}, "flowise-3.1.4", "3.1.4")]).columns == ["flowise-3.1.4"]


def test_runs_with_the_same_label_are_told_apart_by_run_id():
    """Two runs of the same server version get their run id in the column label."""
    matrix = build([summary({"a": "passed"}, "F", "1", "r1"), summary({"a": "passed"}, "F", "1", "r2")])
    assert matrix.columns == ["F 1 (r1)", "F 1 (r2)"]


def test_matrix_cli_writes_html_and_markdown(tmp_path):
    """`matrix RUN...` writes both files; the HTML is self-contained and shows every run."""
    one = write(tmp_path / "one.json", summary({"a": "passed"}, "Flowise", "3.1.4", "r1"))
    two = write(tmp_path / "two.json", summary({"a": "failed"}, "reference", None, "r2"))
    proc = cli("matrix", one, two, "--html", "out/m.html", "--markdown", "out/m.md", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "out" / "m.html").read_text()
    assert "Flowise 3.1.4" in page and "reference" in page and "<script" not in page and "href=" not in page
    assert "| `a`" not in (tmp_path / "out" / "m.md").read_text() and "**≠** `a`" in (tmp_path / "out" / "m.md").read_text()
    proc = cli("matrix", one, two, "--label", "old", "--label", "new", "--markdown", "l.md", cwd=tmp_path)
    assert proc.returncode == 0 and "| test | old | new |" in (tmp_path / "l.md").read_text(), proc.stderr
    assert cli("matrix", one, two, "--label", "only-one", cwd=tmp_path).returncode == 2


def test_compare_treats_an_interrupted_new_run_as_incomplete():
    """Tests an interrupted NEW run did not reach are 'not run', not removed; the exit code is 1 (no verdict)."""
    new = {**summary({"a": "passed"}), "interrupted": True}
    result = compare(summary({"a": "passed", "b": "passed"}), new)
    assert (result.removed, result.not_run, result.incomplete) == ([], [("b", "new", "passed")], ["new"]), (
        f"Received: removed {result.removed}, not run {result.not_run}, incomplete {result.incomplete}")
    assert result.exit_code == 1


def test_matrix_marks_an_interrupted_run_and_its_unreached_tests():
    """An interrupted run's column says so; a test it did not reach reads 'not run', not an empty cell."""
    table = build([summary({"a": "passed", "b": "passed"}, name="old"),
                   {**summary({"a": "passed"}, name="new"), "interrupted": True}])
    assert table.columns == ["old", "new (interrupted)"], table.columns
    row = [line for line in render_markdown(table).splitlines() if "`b`" in line]
    assert row and row[0].rstrip().endswith("| pass | not run |"), row
