"""Fixtures of the variables suite: variables owned by the run, and reading one back from the list."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.fixtures import by_id, creating, read_list
from flowise_conformance.tracker import Tracker


@pytest.fixture
def variable_fields(new_name: Callable[[str], str]) -> Callable[..., dict[str, Any]]:
    """Makes a complete, valid static VariableCreate body with a run-scoped name (fields override)."""

    def make(**fields: Any) -> dict[str, Any]:
        name = fields.pop("name", None) or new_name("var").replace("-", "_")
        return {"name": name, "value": "fc-value", "type": "static", **fields}

    return make


@pytest.fixture
def create_variable(api: FlowiseClient, tracker: Tracker, variable_fields: Callable[..., dict[str, Any]]):  # noqa: ANN201
    """Creates a variable (static unless told); journaled at once and deleted after the test."""
    yield from creating(api, tracker, "variable", variable_fields)


@pytest.fixture
def variable(create_variable: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One static variable owned by this test."""
    return create_variable()


@pytest.fixture
def listed_variables(api: FlowiseClient) -> Callable[[], dict[str, dict[str, Any]]]:
    """Reads GET /variables (it must be a JSON array) as {id: variable}; there is no GET of one variable."""
    return lambda: by_id(read_list(api, "variable"))
