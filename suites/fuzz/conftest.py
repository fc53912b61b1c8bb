"""Fixtures of the fuzz suite: the runtime its schemathesis hooks use, and one scope per item.

The target (base URL, key, timeouts) comes from the plugin's ``target`` fixture; objects are
made through the ``api`` client, journaled by the ``tracker`` and named by ``new_name``.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterator

import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.config import Target
from flowise_conformance.fuzz import runtime
from flowise_conformance.fuzz.operations import by_label
from flowise_conformance.run import RunScope
from flowise_conformance.tracker import Tracker


@pytest.fixture(scope="session")
def fuzz_runtime(target: Target, api: FlowiseClient, tracker: Tracker, run_context: RunScope) -> Iterator[runtime.Runtime]:
    """The per-process state of the fuzz hooks, bound for the session."""
    bound = runtime.Runtime(target=target, api=api, tracker=tracker, new_name=run_context.name,
                            name_prefix=runtime.name_prefix(run_context.tag))
    runtime.bind(bound)
    yield bound
    runtime.bind(None)
    bound.session.close()


@pytest.fixture
def fuzz_scope(request: pytest.FixtureRequest, fuzz_runtime: runtime.Runtime) -> Iterator[runtime.Runtime]:
    """One item's scope: its pins' objects and what its creates made are deleted when it ends."""
    label = getattr(request.node, "operation_label", None)
    operation = by_label().get(label) if label else None
    fuzz_runtime.begin(operation.operation_id if operation else None)
    yield fuzz_runtime
    problems = fuzz_runtime.end()
    if problems:
        # not a test error: the objects stay journaled, the session's cleanup and the final sweep
        # retry them and report what is left (a server that breaks DELETE fails its own items)
        warnings.warn(f"fuzz cleanup left objects for the final sweep: {'; '.join(problems)}", stacklevel=1)


@pytest.fixture
def fuzz_call(fuzz_scope: runtime.Runtime) -> Callable[..., Any]:
    """Sends a case to the target (bounded by its timeouts) and runs the given checks on the answer."""

    def call(case: Any, checks: list[Any]) -> Any:
        return case.call_and_validate(checks=checks, **fuzz_scope.call_kwargs())

    return call
