"""Exit codes and result states: the only place that spells them."""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # every required check passed (expected failures included)
    FAILURES = 1  # conformance failures, errors in tests, or stale expectations
    USAGE = 2  # usage, configuration, connection or harness error
    INTERRUPTED = 130  # stopped by Ctrl-C; partial reports are written


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"
    XFAILED = "expected-failure"
    XPASSED = "stale-expectation"


LEVELS = ("MUST", "SHOULD", "MAY")
