"""The gate: which outcomes fail a run (exit code 1) and which are only warnings.

    outcome             MUST     SHOULD / MAY                     with --strict
    passed              ok       ok                               ok
    skipped             ok       ok                               ok
    expected-failure    ok       ok                               ok
    failed              FAIL     warn                             FAIL
    error               FAIL     FAIL                             FAIL
    stale-expectation   FAIL     FAIL                             FAIL

An error means the harness reached no verdict (a fixture could not create what the test
needs, the server hung up, a bug of ours). It fails the gate at every level: a run that
could not check something must not read as green, and a fixture that cannot create a
chatflow usually hides a broken MUST operation. A known, documented error is listed in an
expectations file (outcome = "error"), which makes it an expected failure.

A stale expectation (listed, but the test now passes) fails the gate at every level: the
server changed and its expectations file must be updated.

An interrupted run (Ctrl-C, SIGTERM) has its own verdict, ``interrupted``, and exit code 130,
whatever its tests did: the tests that did not run established nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from flowise_conformance.outcomes import ExitCode, Outcome

FAIL = "fail"
WARN = "warn"
OK = "ok"
INTERRUPTED = "interrupted"  # a verdict: the run was stopped before its end
VERDICT_LABEL = {"pass": "PASS", "pass-with-warnings": "PASS with warnings", "fail": "FAIL",
                 INTERRUPTED: "INTERRUPTED (partial run)"}


def effect(outcome: Outcome | str, level: str | None, strict: bool = False) -> str:
    """What one test's outcome does to the gate: 'fail', 'warn' or 'ok'."""
    outcome = Outcome(outcome)
    if outcome in (Outcome.PASSED, Outcome.SKIPPED, Outcome.XFAILED):
        return OK
    if outcome in (Outcome.ERROR, Outcome.XPASSED):
        return FAIL
    # a failure: required when MUST (or unknown level), or when every level is made required
    return FAIL if strict or level not in ("SHOULD", "MAY") else WARN


@dataclass
class Gate:
    strict: bool = False
    failing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return int(ExitCode.INTERRUPTED)
        return int(ExitCode.FAILURES if self.failing else ExitCode.OK)

    @property
    def verdict(self) -> str:
        if self.interrupted:
            return INTERRUPTED
        if self.failing:
            return "fail"
        return "pass-with-warnings" if self.warnings else "pass"

    def as_json(self) -> dict[str, object]:
        return {"verdict": self.verdict, "exit_code": self.exit_code, "strict": self.strict,
                "failing": sorted(self.failing), "warnings": sorted(self.warnings)}


def evaluate(results: Iterable[tuple[str, Outcome | str, str | None]], strict: bool = False,
             interrupted: bool = False) -> Gate:
    """``results`` are (test id, outcome, level)."""
    gate = Gate(strict=strict, interrupted=interrupted)
    for test_id, outcome, level in results:
        got = effect(outcome, level, strict)
        if got == FAIL:
            gate.failing.append(test_id)
        elif got == WARN:
            gate.warnings.append(test_id)
    return gate
