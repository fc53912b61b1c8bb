"""A harness error is an ``error`` wherever it happens, never a server's failure.

The hand-written suites raise ``HarnessError`` (errors.py) mostly in fixtures, where pytest
already reports an error. Raised during a test's call, it would be a *failure*: a fixture's
factory called in the test body, the safety guard refusing a request, or a fuzz item whose
setup hook (fuzz/pins.py: "fuzz setup: POST /api/v1/tools answered 401") schemathesis wraps in
``HookExecutionError`` and Hypothesis may wrap again (an exception group, a chained cause).

This plugin finds a ``HarnessError`` anywhere in the call's exception (``mark``) and reports
the call as an error of the test. pytest, junit.xml and allure tell an error from a failure
only by the phase of the failed report, so the report's phase is ``setup`` while it is made and
logged; everything downstream (terminal, junit ``<error>``, allure "broken", summary.json, the
gate, expectations matching) then sees an error, and an expectations entry listing a failure
never matches it. Once logged, the report gets its real phase back ("ERROR at call of ..." in
the terminal). The ``harness_error`` property carries the one-line message of summary.json.
"""
from __future__ import annotations

import pytest

from flowise_conformance.errors import HarnessError
from flowise_conformance.redact import redact

PROPERTY = "harness_error"


def _plugin_state(config: pytest.Config) -> dict:
    from flowise_conformance.plugins.reporting import _plugin_state

    return _plugin_state(config)


def harness_error_in(exc: BaseException | None) -> HarnessError | None:
    """The first HarnessError in ``exc``, its causes, contexts, wrapped originals and group members."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, HarnessError):
            return current
        # schemathesis's HookExecutionError keeps the hook's exception as original_error
        todo += [getattr(current, "original_error", None), current.__cause__, current.__context__,
                 *getattr(current, "exceptions", ())]
    return None


def mark(report: pytest.TestReport, message: str) -> None:
    """Reports ``report`` as a harness error with ``message`` (a call's report becomes its setup's error)."""
    report.outcome = "failed"
    if report.when == "call":
        report.when = "setup"  # pytest, junit and allure: a failed report of another phase is an error
        report.fc_phase = "call"  # type: ignore[attr-defined]  # given back once the report is logged
    report.user_properties.append((PROPERTY, redact(message if message.startswith("harness error")
                                                    else f"harness error: {message}")))


def harness_error_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): a call that raised a HarnessError becomes an error of the test."""
    if call.when != "call" or not report.failed or call.excinfo is None or PROPERTY in dict(report.user_properties):
        return
    if not _plugin_state(item.config).get("active"):
        return
    found = harness_error_in(call.excinfo.value)
    if found is not None:
        message = f"harness error: {type(found).__name__}: {found}"
        report.longrepr = f"{message}\n\n{report.longreprtext}"  # the first line says it (junit's message too)
        mark(report, message)


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Still an error when pytest asks again later (the short summary), whatever the phase says."""
    if report.failed and PROPERTY in dict(report.user_properties):
        return "error", "E", "ERROR"
    return None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport):  # noqa: ANN201
    """After every plugin logged it (as an error): summary.json's outcome and message, and the real phase
    back on the report, for the terminal's "ERROR at call of" section."""
    yield
    props = dict(report.user_properties)
    if PROPERTY not in props:
        return
    _summary_error(report, str(props[PROPERTY]))
    phase = getattr(report, "fc_phase", None)
    if phase:
        report.when = phase


def _summary_error(report: pytest.TestReport, message: str) -> None:
    from flowise_conformance.outcomes import Outcome
    from flowise_conformance.plugins.gating import canonical_id
    from flowise_conformance.plugins.reporting import _config

    config = _config.get("config")
    summary = _plugin_state(config).get("summary") if config is not None else None
    if summary is None:
        return
    result = summary.tests.get(report.nodeid) or summary.tests.get(canonical_id(config, report.nodeid))
    if result is not None:
        result.outcome = Outcome.ERROR
        result.message = message
