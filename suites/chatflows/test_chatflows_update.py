"""Chatflow update: PUT answers the updated chatflow and merges (fields not sent keep their values)."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_status
from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_update_answers_the_updated_chatflow(api, chatflow, new_name):
    """PUT /chatflows/{id} answers 200 with the chatflow as updated: same id, the new name."""
    renamed = new_name("renamed")
    response = api.put(item_path("chatflows", chatflow['id']), json={"name": renamed})
    expect_status(response, 200)
    body = expect_json(response)
    expect_equal(body.get("id"), chatflow["id"], f"PUT answered id {body.get('id')!r}, expected {chatflow['id']!r}",
                 response=response)
    expect_equal(body.get("name"), renamed, f"PUT answered name {body.get('name')!r}, expected {renamed!r}",
                 response=response)


@pytest.mark.level("MUST")
def test_update_of_flow_data_keeps_name_and_type(api, chatflow):
    """PUT of flowData alone stores the new flowData and keeps name and type (a later GET shows both)."""
    changed = direct_reply_agentflow("Changed: {{ question }}")
    expect_status(api.put(item_path("chatflows", chatflow['id']), json={"flowData": changed}), 200)
    again = api.get(item_path("chatflows", chatflow['id']))
    expect_status(again, 200)
    stored = expect_json(again)
    expect_equal(stored.get("flowData"), changed, "the new flowData was not stored", response=again)
    expect_equal(stored.get("name"), chatflow["name"], f"PUT of flowData changed the name to {stored.get('name')!r}",
                 response=again)
    expect_equal(stored.get("type"), chatflow["type"], f"PUT of flowData changed the type to {stored.get('type')!r}",
                 response=again)


@pytest.mark.level("MUST")
def test_update_of_category_keeps_flow_data(api, chatflow):
    """PUT of an optional field (category) stores it and keeps name and flowData."""
    expect_status(api.put(item_path("chatflows", chatflow['id']), json={"category": "fc-category"}), 200)
    again = api.get(item_path("chatflows", chatflow['id']))
    expect_status(again, 200)
    stored = expect_json(again)
    expect_equal(stored.get("category"), "fc-category", f"category after PUT is {stored.get('category')!r}",
                 response=again)
    expect_equal(stored.get("name"), chatflow["name"], f"PUT of category changed the name to {stored.get('name')!r}",
                 response=again)
    expect_equal(stored.get("flowData"), chatflow["flowData"], "PUT of category changed flowData", response=again)
