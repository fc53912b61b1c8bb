"""Fixtures of the tools suite: custom tools owned by the run (journaled, deleted afterwards)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.fixtures import creating
from flowise_conformance.tracker import Tracker

TOOL_SCHEMA = '[{"property":"text","type":"string","description":"input","required":true}]'
TOOL_FUNC = "return $text;"


def tool_body(name: str, **fields: Any) -> dict[str, Any]:
    """A complete, valid ToolCreate body."""
    return {
        "name": name,
        "description": "Returns its input (flowise-conformance).",
        "color": "linear-gradient(rgb(1,2,3), rgb(4,5,6))",
        "schema": TOOL_SCHEMA,
        "func": TOOL_FUNC,
        **fields,
    }


@pytest.fixture
def tool_fields(new_name: Callable[[str], str]) -> Callable[..., dict[str, Any]]:
    """Makes a complete, valid ToolCreate body with a run-scoped name (fields override)."""

    def make(**fields: Any) -> dict[str, Any]:
        return tool_body(fields.pop("name", None) or new_name("tool"), **fields)

    return make


@pytest.fixture
def create_tool(api: FlowiseClient, tracker: Tracker, tool_fields: Callable[..., dict[str, Any]]):  # noqa: ANN201
    """Creates a tool with a run-scoped name; journaled at once and deleted after the test."""
    yield from creating(api, tracker, "tool", tool_fields)


@pytest.fixture
def tool(create_tool: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One tool owned by this test."""
    return create_tool()
