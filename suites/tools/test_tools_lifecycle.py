"""Tools lifecycle: create -> get -> listed -> update persists (merging) -> delete -> gone."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_in, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import (
    expect_created, expect_delete_result, expect_gone, expect_kept, expect_persisted, expect_read, expect_updated, path,
)
from flowise_conformance.fixtures import by_id, read_list

pytestmark = [pytest.mark.resource("tools"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_create_returns_the_tool_with_an_id(api, tracker, tool_fields):
    """POST /tools answers 200 with the stored tool: a new id and every field sent."""
    body = tool_fields()
    response = api.post("tools", json=body)
    tracker.track_response("tool", response, body["name"])
    expect_created(response, body, "tool")


@pytest.mark.level("SHOULD")
def test_created_tool_matches_the_tool_schema(tool):
    """The tool POST /tools answers has the documented fields and types (components/schemas/Tool)."""
    expect_schema(tool, "Tool", "POST /tools answer")


@pytest.mark.level("MUST")
def test_get_returns_the_created_tool(api, tool):
    """GET /tools/{id} answers 200 with the tool as created."""
    expect_read(api, "tool", tool, ("id", "name", "description", "color", "schema", "func"))


@pytest.mark.level("MUST")
def test_created_tool_is_listed(api, tool):
    """GET /tools answers a plain JSON array that contains the tool just created."""
    expect_in(tool["id"], by_id(read_list(api, "tool")), "created tool not listed")


@pytest.mark.level("MUST")
def test_update_persists(api, tool):
    """PUT /tools/{id} changes the description, and a later GET shows the new description."""
    described = f"{tool['description']} (updated)"
    response = api.put(path("tool", tool["id"]), json={"description": described})
    expect_persisted(api, response, "tool", tool["id"], {"description": described})


@pytest.mark.level("SHOULD")
def test_update_answers_the_updated_tool(api, tool, new_name):
    """PUT /tools/{id} answers 200 with the tool as it now is (the new name, the same id)."""
    renamed = new_name("tool-renamed")
    expect_updated(api.put(path("tool", tool["id"]), json={"name": renamed}), "tool", tool["id"], {"name": renamed})


@pytest.mark.level("MUST")
def test_update_changes_only_the_fields_sent(api, tool):
    """PUT /tools/{id} with only a description keeps name, color, schema and func as they were."""
    response = api.put(path("tool", tool["id"]), json={"description": "only this changes"})
    expect_kept(api, response, "tool", tool, ("name", "color", "schema", "func"))


@pytest.mark.level("MUST")
def test_get_after_delete_is_404(api, tool, tracker):
    """DELETE /tools/{id} answers 200, and the tool is then gone (GET answers 404)."""
    expect_status(api.delete(path("tool", tool["id"])), 200)
    expect_gone(api, tracker, "tool", tool["id"])


@pytest.mark.level("MUST")
def test_deleted_tool_is_not_listed(api, tool):
    """After DELETE /tools/{id}, GET /tools no longer lists the tool."""
    expect_status(api.delete(path("tool", tool["id"])), 200)
    expect_not_in(tool["id"], by_id(read_list(api, "tool")), "deleted tool still listed")


@pytest.mark.level("SHOULD")
def test_delete_answers_a_delete_result(api, tool):
    """DELETE /tools/{id} answers the documented DeleteResult object ({affected, raw?})."""
    expect_delete_result(api.delete(path("tool", tool["id"])), "tool")
