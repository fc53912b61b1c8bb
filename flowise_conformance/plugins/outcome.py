"""The outcome pipeline: the one ``pytest_runtest_makereport`` hook of the package.

pytest's runner makes each phase's raw report (its own ``skipping`` plugin has already turned a
``pytest.xfail`` into a skip: the suites use neither that nor xfail markers). This hook then
hands the report, the item and the call to the stages below, in this order, top to bottom; each
stage is a plain function that lives with its job and changes the report in place:

1. ``harness.harness_error_stage``: a ``HarnessError`` raised anywhere in the call (a fixture
   factory, a fuzz setup hook, wrapped by schemathesis or Hypothesis) makes the call an *error*
   (phase ``setup`` while logged, property ``harness_error``). First, so that no later stage
   reads a harness problem as a server's failure.
2. ``safety.plugin.refusal_stage``: the guard's refusals of this phase make it a harness error
   too (via ``harness.mark``); every report is redacted. Before error shape: a refused test
   is an error whatever it received.
3. ``error_shape.error_shape_stage``: error answers without the Error envelope, recorded during
   the call, fail a passed call or join a failure's report as a section. After 1 and 2 (a
   harness error keeps its own message first), before 5 (a listed deviation may be this one).
4. ``pytest_plugin.transcript_stage``: a failure gets its request/response transcript section;
   its text is redacted and install paths shortened. Before 5 and 6: they read that text.
5. ``gating.expectation_stage``: a test listed in an expectations file that failed as listed
   becomes an expected failure (xfail); one that passed becomes a stale expectation (failed,
   ``fc_outcome = xpassed``, with an exception on the call for schemathesis); others annotated.
6. ``gating.outcome_stage``: the test's outcome so far (the level and the gate are decided from
   it at session end, report/gate.py); the teardown report carries it as ``fc_outcome`` (junit).
7. ``reporting.allure_transcript_stage``: a failure's transcript attached to its allure result.
8. ``fuzz.fuzz_notes_stage``: a failed fuzz item's text ends with its seed, budget and the
   command that repeats it. Last: the stale-expectation text of 5 gets it too.

The wrapper is an ordinary one (neither tryfirst nor trylast): it runs outside pytest's skipping
and inside allure's, Hypothesis's and schemathesis's wrappers, so those see the final outcome.
After makereport, ``pytest_runtest_logreport`` records it: harness.py's wrapper (tryfirst: its
code after ``yield`` runs after every other) writes a harness error's outcome into summary.json
and gives the report its real phase back; safety's ``RedactReports`` (tryfirst) redacts;
reporting.py (plain) records the test in the run summary. harness.py's
``pytest_report_teststatus`` (tryfirst) keeps a harness error an "error" in the terminal. A
schemathesis item's failed report is rewritten by schemathesis in ``pytest_exception_interact``;
fuzz.py's (trylast) adds the notes of stage 8 again there.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance import pytest_plugin
from flowise_conformance.plugins import error_shape, fuzz, gating, harness, reporting
from flowise_conformance.plugins.safety import plugin as safety

Stage = Callable[[pytest.Item, "pytest.CallInfo[Any]", pytest.TestReport], None]

STAGES: tuple[Stage, ...] = (
    harness.harness_error_stage,
    safety.refusal_stage,
    error_shape.error_shape_stage,
    pytest_plugin.transcript_stage,
    gating.expectation_stage,
    gating.outcome_stage,
    reporting.allure_transcript_stage,
    fuzz.fuzz_notes_stage,
)


def run_stages(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport,
               stages: tuple[Stage, ...] = STAGES) -> pytest.TestReport:
    """The report after every stage, in order."""
    for stage in stages:
        stage(item, call, report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report: pytest.TestReport = yield
    return run_stages(item, call, report)
