"""Tools lifecycle: create -> get -> listed -> update persists (merging) -> delete -> gone."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import (
    expect, expect_equal, expect_in, expect_json, expect_not_in, expect_status, expect_type,
)
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("tools"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_create_returns_the_tool_with_an_id(api, tracker, tool_fields):
    """POST /tools answers 200 with the stored tool: a new id and every field sent."""
    body = tool_fields()
    response = api.post("tools", json=body)
    tool = tracker.track_response("tool", response, body["name"])
    expect_status(response, 200)
    expect_json(response)
    expect_type(tool, dict, f"POST /tools must answer a JSON object, got {type(tool).__name__}", response=response)
    expect(isinstance(tool.get("id"), str) and tool["id"], f"no id in {tool!r}",
           expected='isinstance(tool.get("id"), str) and tool["id"]', received=tool.get("id"), response=response)
    for field, sent in body.items():
        expect_equal(tool.get(field), sent, f"{field}: answered {tool.get(field)!r}, sent {sent!r}", response=response)


@pytest.mark.level("SHOULD")
def test_created_tool_matches_the_tool_schema(tool):
    """The tool POST /tools answers has the documented fields and types (components/schemas/Tool)."""
    expect_schema(tool, "Tool", "POST /tools answer")


@pytest.mark.level("MUST")
def test_get_returns_the_created_tool(api, tool):
    """GET /tools/{id} answers 200 with the tool as created."""
    response = api.get(item_path("tools", tool['id']))
    expect_status(response, 200)
    got = expect_json(response)
    expect_type(got, dict, f"GET /tools/{{id}} must answer a JSON object, got {type(got).__name__}", response=response)
    for field in ("id", "name", "description", "color", "schema", "func"):
        expect_equal(got.get(field), tool[field], f"{field}: got {got.get(field)!r}, created {tool[field]!r}",
                     response=response)


@pytest.mark.level("MUST")
def test_created_tool_is_listed(api, tool):
    """GET /tools answers a plain JSON array that contains the tool just created."""
    response = api.get("tools")
    expect_status(response, 200)
    listed = expect_json(response)
    expect_type(listed, list, f"GET /tools must answer a JSON array, got {type(listed).__name__}", response=response)
    expect_in(tool["id"], {t.get("id") for t in listed if isinstance(t, dict)}, "created tool not listed",
              response=response)


@pytest.mark.level("MUST")
def test_update_persists(api, tool):
    """PUT /tools/{id} changes the description, and a later GET shows the new description."""
    described = f"{tool['description']} (updated)"
    response = api.put(item_path("tools", tool['id']), json={"description": described})
    expect_status(response, 200)
    again = api.get(item_path("tools", tool['id']))
    expect_status(again, 200)
    got = expect_json(again)
    expect_equal(got.get("description"), described, f"after PUT the description is {got.get('description')!r}",
                 response=again)


@pytest.mark.level("SHOULD")
def test_update_answers_the_updated_tool(api, tool, new_name):
    """PUT /tools/{id} answers 200 with the tool as it now is (the new name, the same id)."""
    renamed = new_name("tool-renamed")
    response = api.put(item_path("tools", tool['id']), json={"name": renamed})
    expect_status(response, 200)
    got = expect_json(response)
    expect_type(got, dict, f"PUT /tools/{{id}} must answer a JSON object, got {type(got).__name__}", response=response)
    expect_equal(got.get("id"), tool["id"], f"PUT answered id {got.get('id')!r}, expected {tool['id']!r}",
                 response=response)
    expect_equal(got.get("name"), renamed, f"PUT answered name {got.get('name')!r}, expected {renamed!r}",
                 response=response)


@pytest.mark.level("MUST")
def test_update_changes_only_the_fields_sent(api, tool):
    """PUT /tools/{id} with only a description keeps name, color, schema and func as they were."""
    response = api.put(item_path("tools", tool['id']), json={"description": "only this changes"})
    expect_status(response, 200)
    got_response = api.get(item_path("tools", tool['id']))
    got = expect_json(got_response, 200)
    for field in ("name", "color", "schema", "func"):
        expect_equal(got.get(field), tool[field],
                     f"{field}: {got.get(field)!r} after a PUT that did not send it, was {tool[field]!r}",
                     response=got_response)


@pytest.mark.level("MUST")
def test_get_after_delete_is_404(api, tool, tracker):
    """DELETE /tools/{id} answers 200, and the tool is then gone (GET answers 404)."""
    response = api.delete(item_path("tools", tool['id']))
    expect_status(response, 200)
    gone = api.get(item_path("tools", tool['id']))
    if gone.status_code == 404:
        tracker.gone("tool", tool["id"])
    expect_status(gone, 404, why="a deleted tool must no longer be served")


@pytest.mark.level("MUST")
def test_deleted_tool_is_not_listed(api, tool):
    """After DELETE /tools/{id}, GET /tools no longer lists the tool."""
    expect_status(api.delete(item_path("tools", tool['id'])), 200)
    listed_response = api.get("tools")
    listed = expect_json(listed_response, 200)
    expect_type(listed, list, f"GET /tools must answer a JSON array, got {type(listed).__name__}",
                response=listed_response)
    expect_not_in(tool["id"], {t.get("id") for t in listed if isinstance(t, dict)}, "deleted tool still listed",
                  response=listed_response)


@pytest.mark.level("SHOULD")
def test_delete_answers_a_delete_result(api, tool):
    """DELETE /tools/{id} answers the documented DeleteResult object ({affected, raw?})."""
    response = api.delete(item_path("tools", tool['id']))
    expect_status(response, 200)
    expect_schema(expect_json(response), "DeleteResult", "DELETE /tools/{id} answer")
