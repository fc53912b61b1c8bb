"""The outcome pipeline (plugins/outcome.py): one makereport hook, stages in a fixed order.

Each stage once was its own makereport hook, ordered by tryfirst/trylast; these tests keep
the hooks from coming back and pin the order where it decides the outcome.
"""
from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from flowise_conformance import paths
from flowise_conformance.errors import HarnessError
from flowise_conformance.expectations import Entry

TEST_ID = "tools/test_x.py::test_y"


def test_the_package_has_exactly_one_makereport_hook():
    """A second makereport hook would rewrite outcomes outside the pipeline, in an order nobody reads."""
    found = []
    for source in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        found += [f"{source.relative_to(paths.PACKAGE_DIR).as_posix()}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.name == "pytest_runtest_makereport"]
    assert len(found) == 1 and found[0].startswith("plugins/outcome.py:"), \
        f"Expected: one pytest_runtest_makereport, in plugins/outcome.py\nReceived: {found}"


def _item(entry_outcome: str):
    """A stand-in item whose expectations entry lists it with ``entry_outcome`` (what the stages read of it)."""
    from flowise_conformance import pytest_plugin
    from flowise_conformance.plugins import gating

    config = SimpleNamespace(stash=pytest.Stash(), rootpath=Path.cwd(), option=SimpleNamespace(allure_report_dir=None))
    config.stash[pytest_plugin._state_key] = {"active": True, "suites_root": None}
    item = SimpleNamespace(config=config, stash=pytest.Stash(), nodeid=TEST_ID)
    item.stash[gating._entry_key] = Entry(test=TEST_ID, outcome=entry_outcome, reason="a known deviation",
                                          evidence="GET / -> 500", source="expectations.toml#1")
    return item


def _report(outcome: str, when: str = "call", longrepr: str | None = None) -> pytest.TestReport:
    return pytest.TestReport(TEST_ID, ("tools/test_x.py", 1, "test_y"), {}, outcome, longrepr, when)


def _raise(exc: BaseException) -> None:
    raise exc


def test_an_error_shape_violation_is_matched_by_the_expectation_that_lists_it():
    """Error shape runs before expectations: a passed call with a bad error body, listed as failed, is xfailed."""
    from flowise_conformance.plugins import error_shape
    from flowise_conformance.plugins.outcome import run_stages

    item = _item("failed")
    error_shape.RECORDER.seen[:] = [error_shape.Violation("listTools (GET /api/v1/tools)", 500, "no statusCode")]
    try:
        report = run_stages(item, pytest.CallInfo.from_call(lambda: None, "call"), _report("passed"))
    finally:
        error_shape.RECORDER.seen.clear()
    assert report.skipped and "a known deviation" in getattr(report, "wasxfail", ""), \
        f"Expected: an expected failure (xfail) naming the entry\nReceived: {report.outcome}, {report.longreprtext!r}"


def test_a_harness_error_is_never_matched_by_an_expected_failure():
    """Harness errors run before expectations: listed as failed, a harness error stays an error, annotated."""
    from flowise_conformance.plugins.outcome import run_stages

    item = _item("failed")
    call = pytest.CallInfo.from_call(lambda: _raise(HarnessError("fuzz setup: POST /api/v1/tools answered 401")),
                                     "call")
    report = run_stages(item, call, _report("failed", longrepr="HarnessError: fuzz setup"))
    notes = [text for title, text in report.sections if title == "expectation"]
    assert report.failed and report.when == "setup" and "harness_error" in dict(report.user_properties), \
        f"Expected: an error (failed in phase setup, harness_error property)\nReceived: {report.outcome} in " \
        f"{report.when}, {report.user_properties}"
    assert notes and "errored" in notes[0], f"Expected: an expectation note saying it errored\nReceived: {notes}"
    teardown = run_stages(item, pytest.CallInfo.from_call(lambda: None, "teardown"), _report("passed", "teardown"))
    assert ("fc_outcome", "error") in teardown.user_properties, \
        f"Expected: the teardown report carrying fc_outcome=error\nReceived: {teardown.user_properties}"
