"""Fixtures of the variables suite: variables owned by the run, and reading one back from the list."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.checks import expect_json, expect_status, expect_type
from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import HarnessError
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
    made: list[str] = []

    def make(**fields: Any) -> dict[str, Any]:
        body = variable_fields(**fields)
        response = api.post("variables", json=body)
        variable = tracker.track_response("variable", response, body["name"])
        if response.status_code != 200 or not isinstance(variable, dict) or "id" not in variable:
            raise HarnessError(f"could not create a variable: POST /api/v1/variables answered {response.status_code}")
        made.append(variable["id"])
        return variable

    yield make
    for variable_id in made:
        tracker.delete("variable", variable_id)


@pytest.fixture
def variable(create_variable: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One static variable owned by this test."""
    return create_variable()


@pytest.fixture
def listed_variables(api: FlowiseClient) -> Callable[[], dict[str, dict[str, Any]]]:
    """Reads GET /variables (it must be a JSON array) as {id: variable}; there is no GET of one variable."""

    def read() -> dict[str, dict[str, Any]]:
        response = api.get("variables")
        expect_status(response, 200)
        listed = expect_json(response)
        expect_type(listed, list, f"GET /variables must answer a JSON array, got {type(listed).__name__}",
                    response=response)
        return {v["id"]: v for v in listed if isinstance(v, dict) and isinstance(v.get("id"), str)}

    return read
