"""Chatflows lifecycle: create -> get -> listed -> update persists -> delete -> get is 404."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_json, expect_status
from flowise_conformance.crud import expect_error, expect_persisted, path
from flowise_conformance.fixtures import by_id, read_list
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_create_returns_the_chatflow_with_an_id(api, tracker, new_name):
    """POST /chatflows answers 200 with the stored chatflow: an id, the name and flowData sent."""
    from flowise_conformance.flows import direct_reply_agentflow

    name = new_name("chatflow")
    body = {"name": name, "flowData": direct_reply_agentflow(), "type": "AGENTFLOW"}
    response = api.post("chatflows", json=body)
    flow = tracker.track_response("chatflow", response, name)
    expect_status(response, 200)
    expect_json(response)
    expect(isinstance(flow.get("id"), str) and flow["id"], f"no id in {flow!r}",
           expected='isinstance(flow.get("id"), str) and flow["id"]', received=flow.get("id"), response=response)
    expect_equal(flow.get("name"), name, "POST /chatflows answered another name than sent", response)
    expect_equal(flow.get("flowData"), body["flowData"], "POST /chatflows answered another flowData than sent", response)


@pytest.mark.level("MUST")
def test_get_returns_the_created_chatflow(api, chatflow):
    """GET /chatflows/{id} answers 200 with the chatflow as created."""
    response = api.get(item_path("chatflows", chatflow['id']))
    expect_status(response, 200)
    got = expect_json(response)
    for field in ("id", "name", "flowData", "type"):
        expect_equal(got.get(field), chatflow[field], f"{field}: got {got.get(field)!r}, created {chatflow[field]!r}",
                     response=response)


@pytest.mark.level("MUST")
def test_created_chatflow_is_listed(api, chatflow):
    """GET /chatflows lists the chatflow just created."""
    expect_in(chatflow["id"], by_id(read_list(api, "chatflow")), "created chatflow not listed")


@pytest.mark.level("MUST")
def test_update_persists(api, chatflow, new_name):
    """PUT /chatflows/{id} changes the name, and a later GET shows the new name."""
    renamed = new_name("renamed")
    response = api.put(path("chatflow", chatflow["id"]), json={"name": renamed})
    again = expect_persisted(api, response, "chatflow", chatflow["id"], {"name": renamed})
    expect_equal(again.get("flowData"), chatflow["flowData"], "PUT of the name alone must keep flowData")


@pytest.mark.level("MUST")
def test_get_after_delete_is_404(api, chatflow, tracker):
    """DELETE /chatflows/{id} answers 200, and the chatflow is then gone (GET answers 404)."""
    response = api.delete(item_path("chatflows", chatflow['id']))
    expect_status(response, 200)
    gone = api.get(item_path("chatflows", chatflow['id']))
    if gone.status_code == 404:
        tracker.gone("chatflow", chatflow["id"])
    expect_status(gone, 404, why="a deleted chatflow must no longer be served")


@pytest.mark.level("MUST")
def test_get_unknown_chatflow_is_404(api):
    """GET /chatflows/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.get(item_path("chatflows", uuid.uuid4())), 404)
