"""A harness error inside a fuzz item is an ``error`` everywhere, not a server failure (plugins/harness.py).

The server passes preflight (its protected read answers) and refuses only the fuzz setup's
create (401 to POST /api/v1/tools), so the item's ``before_call`` hook raises HarnessError,
which schemathesis wraps in HookExecutionError.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from flowise_conformance import paths
from flowise_conformance.errors import HarnessError
from tests.lying_support import Lies, LyingServer
from tests.safety_support import cli_env, finish, start_cli

KEY = "fc-harness-error-key-5e21"
ITEM = "fuzz/test_fuzz_negative.py::test_invalid_request_is_refused[DELETE /api/v1/tools/{id}]"


def test_a_harness_error_is_found_through_wrappers_groups_and_causes():
    """schemathesis keeps the hook's exception as ``original_error``; Hypothesis may group or chain it."""
    from schemathesis.core.errors import HookExecutionError

    from flowise_conformance.plugins.harness import harness_error_in  # imported late: pytest loads it as a plugin

    inner = HarnessError("fuzz setup: POST /api/v1/tools answered 401")
    wrapped = HookExecutionError("before_call", inner)
    try:
        raise RuntimeError("while shrinking") from ExceptionGroup("two failures", [ValueError("x"), wrapped])
    except RuntimeError as exc:
        chained = exc
    for exc in (wrapped, chained):
        assert harness_error_in(exc) is inner, f"Expected: the HarnessError inside {exc!r}\nReceived: {harness_error_in(exc)!r}"
    assert harness_error_in(AssertionError("a server failure")) is None, \
        "Expected: no harness error in a plain failure\nReceived: one"


def test_a_fuzz_setup_refused_with_401_is_an_error_in_every_report(tmp_path: Path):
    """The one fuzz item errors in the terminal, summary.json, junit.xml and the gate, even though an
    expectations file lists it as an expected failure (an error never matches a listed failure)."""
    expectations = tmp_path / "expect.toml"
    expectations.write_text(f'[[expect]]\ntest = "{ITEM}"\noutcome = "failed"\nreason = "r"\nevidence = "e"\n')
    reports = tmp_path / "reports"
    with LyingServer(tmp_path, KEY, Lies(create_status={"/api/v1/tools": 401})) as server:
        proc = start_cli(["run", "--base-url", server.base_url, "--report-dir", str(reports), "-p", "no:xdist",
                          "--expectations", str(expectations), "-k", "DELETE and tools",
                          str(paths.suites_dir() / "fuzz/test_fuzz_negative.py")], tmp_path / "cwd", cli_env(KEY))
        code, out, err = finish(proc, timeout=120)
    [summary_file] = reports.glob("*/summary.json")
    summary = json.loads(summary_file.read_text())
    tests = {t["id"]: t for t in summary["tests"]}
    assert list(tests) == [ITEM], f"Expected: only {ITEM} ran\nReceived: {list(tests)}\n{out[-2000:]}{err[-2000:]}"
    result = tests[ITEM]
    assert result["outcome"] == "error", f"Expected: outcome error\nReceived: {result['outcome']}: {result['message']}"
    assert "HarnessError: fuzz setup: POST /api/v1/tools answered 401" in result["message"], \
        f"Expected: the harness error as the message\nReceived: {result['message']}"
    assert (code, summary["gate"]["verdict"]) == (1, "fail"), \
        f"Expected: exit 1, gate fail\nReceived: exit {code}, gate {summary['gate']}\n{out[-1500:]}"
    [case] = ET.parse(summary_file.parent / "junit.xml").getroot().iter("testcase")
    kinds = [child.tag for child in case if child.tag in ("error", "failure", "skipped")]
    assert kinds == ["error"], f"Expected: one <error> in junit.xml\nReceived: {kinds}"
    assert "1 error" in out and "failed" not in out.splitlines()[-1] and f"\nERROR {ITEM}" in out, \
        f"Expected: the terminal counts 1 error, no failure\nReceived: {out.splitlines()[-1]}"
    assert "ERROR at call of test_invalid_request_is_refused" in out, \
        f"Expected: the error shown at its phase, the call\nReceived:\n{out[:1500]}"
