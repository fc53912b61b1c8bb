"""Suites run from a checkout are guarded like the installed ones, whichever way the package is installed.

Two layouts: the package as installed here (editable: the installed suites are the checkout's;
CI installs it non-editable: they are the wheel's bundle), and the installed suites forced to
another directory (what a non-editable install looks like to the plugin on any machine).
Each run goes through plain pytest from the checkout root, the way README says, against the
reference server behind a middleware that records every request.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flowise_conformance.plugins.safety.read_only import READ_ONLY_REASON
from tests.safety_support import RefServer, cli_env

KEY = "fc-checkout-key-6c1e0b"
CHECKOUT = Path(__file__).resolve().parents[1]
SUITES = CHECKOUT / "suites"
LIFECYCLE = SUITES / "tools" / "test_tools_lifecycle.py"
LISTED = "tools/test_tools_lifecycle.py::test_update_persists"
LISTED_FAULT = "tool-update-not-persisted"  # caught by LISTED (reference/tools.py)
LAYOUTS = ("as-installed", "bundle-elsewhere")

_ELSEWHERE = """
import sys
from pathlib import Path

import flowise_conformance.paths as paths

installed = Path(sys.argv[1])
paths.suites_dir = lambda: installed
sys.argv = sys.argv[:1] + sys.argv[2:]
if sys.argv[1] == "pytest":
    import pytest

    raise SystemExit(pytest.main(sys.argv[2:]))
from flowise_conformance.cli import main

raise SystemExit(main(sys.argv[2:]))
"""


def _command(layout: str, tmp: Path, tool: str, args: list[str]) -> list[str]:
    """``pytest ARGS`` or ``flowise-conformance ARGS`` in this layout."""
    if layout == "as-installed":
        return [sys.executable, "-m", "pytest" if tool == "pytest" else "flowise_conformance", *args]
    bundle = tmp / "site-packages" / "_bundle" / "suites"
    if not bundle.is_dir():
        shutil.copytree(SUITES, bundle, ignore=shutil.ignore_patterns("__pycache__"))
    runner = tmp / "fc_elsewhere.py"
    runner.write_text(_ELSEWHERE)
    return [sys.executable, str(runner), str(bundle), tool, *args]


def _run(cmd: list[str], timeout: float = 240) -> tuple[int, str]:
    proc = subprocess.run(cmd, cwd=CHECKOUT, env=cli_env(KEY), capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pytest_from_a_checkout_with_read_only_sends_no_write(tmp_path, layout):
    """`pytest suites/... --base-url URL --read-only` from a checkout: guarded, read-only, reported; no write sent."""
    reports = tmp_path / "reports"
    with RefServer(tmp_path, KEY) as server:
        code, output = _run(_command(layout, tmp_path, "pytest", [
            str(LIFECYCLE), "--base-url", server.base_url, "--read-only", "-p", "no:xdist",
            "--report-dir", str(reports), "--run-id", "20260101-000000-c4ec01"]))
        seen = list(server.requests)
    writes = [r for r in seen if r[0] in ("POST", "PUT", "PATCH", "DELETE")]
    summary_file = reports / "20260101-000000-c4ec01" / "summary.json"
    print(f"{layout}: exit {code}, {len(seen)} requests, {len(writes)} state-changing")
    assert writes == [] and any(m == "GET" for m, _ in seen), (
        f"Expected: only reads reach the server\nReceived: {len(writes)} writes {writes[:5]}\n{output[-3000:]}")
    assert summary_file.is_file(), f"Expected: summary.json\nReceived: none\n{output[-3000:]}"
    tests = json.loads(summary_file.read_text())["tests"]
    assert tests and all(t["id"].startswith("tools/test_tools_lifecycle.py::") for t in tests), [t["id"] for t in tests]
    assert all(t["outcome"] == "skipped" and READ_ONLY_REASON in t["message"] for t in tests if t["mutating"])
    assert code == 0, output[-3000:]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_run_on_checkout_suites_gates_with_expectations_and_writes_the_summary(tmp_path, layout):
    """`flowise-conformance run --expectations F <checkout>/suites/...`: the listed failure is expected; summary.json."""
    (tmp_path / "exp.toml").write_text(f'[[expect]]\ntest = "{LISTED}"\noutcome = "failed"\n'
                                       'reason = "the fault stores no update"\nevidence = "PUT then GET"\n')
    reports = tmp_path / "reports"
    code, output = _run(_command(layout, tmp_path, "flowise-conformance", [
        "run", "--reference-fault", LISTED_FAULT, "--expectations", str(tmp_path / "exp.toml"), "-p", "no:xdist",
        "--report-dir", str(reports), "--run-id", "20260101-000000-c4ec02", str(LIFECYCLE)]))
    summary_file = reports / "20260101-000000-c4ec02" / "summary.json"
    assert summary_file.is_file(), f"Expected: summary.json\nReceived: none (exit {code})\n{output[-3000:]}"
    outcomes = {t["id"]: t["outcome"] for t in json.loads(summary_file.read_text())["tests"]}
    assert outcomes.get(LISTED) == "expected-failure" and code == 0, (
        f"Expected: {LISTED} expected-failure, exit 0\nReceived: {outcomes.get(LISTED)}, exit {code}\n{output[-3000:]}")


def test_suite_tests_without_their_conftest_stop_with_exit_2_before_any_request(tmp_path):
    """Suite tests collected where the plugin cannot guard them (--noconftest, a copy) end the run: exit 2, no request."""
    copy = tmp_path / "elsewhere" / "tools"
    copy.mkdir(parents=True)
    shutil.copy(LIFECYCLE, copy / LIFECYCLE.name)
    with RefServer(tmp_path, KEY) as server:
        code, output = _run([sys.executable, "-m", "pytest", str(copy / LIFECYCLE.name), "--noconftest",
                             "-p", "flowise_conformance.pytest_plugin", "--base-url", server.base_url,
                             "-p", "no:xdist", "--report-dir", str(tmp_path / "reports")], timeout=120)
        seen = list(server.requests)
    assert code == 2 and "refusing to run them" in output and seen == [], (
        f"Expected: exit 2, 'refusing to run them', no request\nReceived: exit {code}, {len(seen)} requests {seen[:5]}\n"
        f"{output[-3000:]}")
