"""Tools: bad bodies are rejected with 400 or 422 and the error shape, and change nothing."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_refused
from flowise_conformance.crud import expect_error, expect_nothing_stored, post_tracked
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("tools"), pytest.mark.mutating]

REQUIRED = ("name", "description", "color")


@pytest.mark.level("MUST")
@pytest.mark.parametrize("missing", REQUIRED)
def test_create_without_required_field_is_rejected(api, tracker, tool_fields, missing):
    """POST /tools without one of name, description or color answers 400 or 422 with the error shape."""
    body = tool_fields()
    del body[missing]
    response = post_tracked(api, tracker, "tool", body)
    expect_error(response, why=f"a tool without '{missing}' must be rejected as bad input")


@pytest.mark.level("MUST")
def test_create_with_non_string_name_is_rejected(api, tracker, tool_fields):
    """POST /tools with a number as name answers 400 or 422 with the error shape."""
    body = tool_fields(name=12345)
    expect_error(post_tracked(api, tracker, "tool", body))


@pytest.mark.level("SHOULD")
def test_rejected_create_stores_nothing(api, tracker, tool_fields):
    """A POST /tools rejected for a missing color leaves no tool of that name behind."""
    body = tool_fields()
    del body["color"]
    expect_nothing_stored(api, post_tracked(api, tracker, "tool", body), "tool", "name", body["name"])


@pytest.mark.level("MUST")
def test_update_with_null_name_is_rejected(api, tool):
    """PUT /tools/{id} with name null answers 400 or 422 with the error shape."""
    expect_error(api.put(item_path("tools", tool['id']), json={"name": None}))


@pytest.mark.level("SHOULD")
def test_update_with_empty_name_is_rejected(api, tool):
    """PUT /tools/{id} with an empty name answers 400 or 422 with the error shape."""
    expect_error(api.put(item_path("tools", tool['id']), json={"name": ""}))


@pytest.mark.level("SHOULD")
def test_rejected_update_changes_nothing(api, tool):
    """A PUT /tools/{id} rejected for a null name leaves the tool as it was."""
    response = api.put(item_path("tools", tool['id']), json={"name": None, "description": "must not be stored"})
    expect_refused(response, "The bad request was accepted (this test checks only that nothing changed)")
    got_response = api.get(item_path("tools", tool['id']))
    got = expect_json(got_response, 200)
    expect_equal(got.get("name"), tool["name"], f"name is {got.get('name')!r} after a rejected PUT",
                 response=got_response)
    expect_equal(got.get("description"), tool["description"],
                 f"description is {got.get('description')!r} after a rejected PUT", response=got_response)
