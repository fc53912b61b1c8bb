"""Checks over observed responses: small, pure, named; each raises ConformanceFailure.

    ConformanceFailure(AssertionError)   the server broke the spec (a test FAILS)
    HarnessError (errors.py)             the suite could not do its work (a test ERRORS)
"""
from __future__ import annotations

from flowise_conformance.checks.core import (
    ConformanceFailure,
    expect,
    expect_equal,
    expect_error_shape,
    expect_in,
    expect_json,
    expect_not_in,
    expect_refused,
    expect_status,
    expect_type,
)
from flowise_conformance.checks.error_shape import error_shape_problem, operation_label

__all__ = [
    "ConformanceFailure", "error_shape_problem", "expect", "expect_equal", "expect_error_shape", "expect_in", "expect_json", "expect_not_in",
    "expect_refused", "expect_status", "expect_type",
    "operation_label",
]
