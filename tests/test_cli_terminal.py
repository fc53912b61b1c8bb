"""The terminal of `flowise-conformance run` names tests as the reports do and says what it tested."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowise_conformance.paths import suites_dir
from tests.conftest import CliResult, clean_env

FILE = "tools/test_tools_lifecycle.py"


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> CliResult:
    """One run of the tools lifecycle file against the embedded server with GET /tools/{id} broken."""
    tmp = tmp_path_factory.mktemp("terminal")
    cwd = tmp / "cwd"
    cwd.mkdir()
    cmd = [sys.executable, "-m", "flowise_conformance", "run", "--report-dir", str(tmp / "reports"),
           "--reference-fault", "tool-get-not-found", "--profile", "tools", str(suites_dir() / FILE)]
    proc = subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=300)
    return CliResult(proc.returncode, proc.stdout, proc.stderr, tmp / "reports")


def _received(result: CliResult) -> str:
    return f"Received (exit {result.code}):\n{result.stdout[-4000:]}\n{result.stderr[-1500:]}"


def test_a_test_named_as_the_reports_name_it_selects_that_test(run_cli):
    """`run tools/test_tools_lifecycle.py::test_update_persists` (the id the reports show) runs that test."""
    test_id = f"{FILE}::test_update_persists"
    result = run_cli("run", test_id)
    assert result.code == 0 and result.outcomes() == {test_id: "passed"}, (
        f"Expected: exit 0, {test_id} passed\n{_received(result)}")


def test_progress_line_names_the_file_relative_to_the_suites(failing_run):
    """The progress line of a file starts with its suite-relative path, once, with one counter."""
    lines = [line for line in failing_run.stdout.splitlines() if FILE in line and not line.startswith("FAILED")]
    progress = [line for line in lines if re.search(r"\[\s*\d+/\d+\]$", line)]
    assert len(progress) == 1 and progress[0].startswith(FILE + " "), (
        f"Expected: one progress line starting with {FILE!r}\n{_received(failing_run)}")
    assert progress[0].count("/10]") == 1, f"Expected: one counter on the line\n{_received(failing_run)}"


def test_no_line_shows_an_install_path(failing_run):
    """No line shows where the suites are installed (site-packages, _bundle, ../, /dev/null)."""
    shown = [line for line in failing_run.stdout.splitlines()
             if re.search(r"_bundle|site-packages|\.\./|/dev/null|^rootdir:|^configfile:", line)
             and not line.startswith(("reports:", "-- generated xml file"))]
    assert not shown, "Expected: no install path on the terminal\nReceived:\n" + "\n".join(shown)


def test_failures_are_listed_by_their_suite_relative_id(failing_run):
    """pytest's short summary names a failed test by the id of summary.json and report.html."""
    failed = [i for i, outcome in failing_run.outcomes().items() if outcome == "failed"]
    assert failed, f"Expected: the fault fails a test\n{_received(failing_run)}"
    for test_id in failed:
        assert re.search(rf"^FAILED {re.escape(test_id)}( |$)", failing_run.stdout, re.M), (
            f"Expected: a line 'FAILED {test_id} ...'\n{_received(failing_run)}")


def test_header_says_target_server_profile_and_level(failing_run):
    """The header, before the tests, names the target, the profile and the level."""
    head = failing_run.stdout.split("collected ", 1)[0]
    assert re.search(r"^target: http://127\.0\.0\.1:\d+ ", head, re.M), f"Expected: a target line\nReceived:\n{head}"
    assert re.search(r"^profile: tools  level: all", head, re.M), f"Expected: profile and level\nReceived:\n{head}"
    assert "platform " not in head and "plugins: " not in head, f"Expected: a short header\nReceived:\n{head}"


def test_embedded_target_is_called_the_embedded_reference_server(failing_run):
    """The target line says the target is the embedded reference server, not where its URL came from."""
    lines = [line for line in failing_run.stdout.splitlines() if line.startswith("target: ")]
    assert lines and all("(embedded reference server)" in line and "env FLOWISE_BASE_URL" not in line
                         for line in lines), f"Expected: '(embedded reference server)'\nReceived: {lines}"
    assert failing_run.summary()["target"]["name"] == "embedded reference server"


def test_suite_relative_args_leave_option_values_alone(tmp_path: Path):
    """Only a .py path that exists under the suites (and not in the working directory) is rewritten."""
    from flowise_conformance.cli import suite_relative_args

    suites = tmp_path / "suites"
    (suites / "tools").mkdir(parents=True)
    (suites / "tools" / "test_a.py").write_text("")
    got = suite_relative_args(["tools/test_a.py::t", "-k", "tools/test_a.py", "tools", "x/test_b.py"], suites)
    assert got == [f"{suites}/tools/test_a.py::t", "-k", "tools/test_a.py", "tools", "x/test_b.py"], got


def test_coverage_line_names_only_operations_the_selected_profiles_were_meant_to_exercise(failing_run):
    """A --profile tools run lists the tools operations it did not exercise, and counts the others in one figure."""
    from flowise_conformance.fuzz.operations import operations

    lines = [line for line in failing_run.stdout.splitlines() if line.startswith("spec operations exercised")]
    assert len(lines) == 1, f"Expected: one coverage line\n{_received(failing_run)}"
    named = lines[0].split(" - not: ", 1)[1].split(", ") if " - not: " in lines[0] else []
    tools = {op.operation_id for op in operations() if op.tag == "tools"}
    outside = len(operations()) - len(tools)
    assert set(named) <= tools and f"; {outside} operations outside the selected profiles" in lines[0], (
        f"Expected: only tools operations named, '{outside} operations outside the selected profiles'\n"
        f"Received: {lines[0]}")
