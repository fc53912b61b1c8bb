"""Chatflow input validation: bad create and update bodies are refused with 400/422 and the error shape."""
from __future__ import annotations

from typing import Any

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_json, expect_status
from flowise_conformance.crud import expect_error, post_tracked
from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


def _create_refused(api, tracker, body: dict[str, Any], why: str) -> None:
    expect_error(post_tracked(api, tracker, "chatflow", body), why=why)


@pytest.mark.level("MUST")
def test_create_without_name_is_rejected(api, tracker):
    """POST /chatflows without a name answers 400 or 422 with the error shape."""
    body = {"flowData": direct_reply_agentflow(), "type": "AGENTFLOW"}
    _create_refused(api, tracker, body, "a chatflow without a name must be refused")


@pytest.mark.level("MUST")
def test_create_without_flow_data_is_rejected(api, tracker, new_name):
    """POST /chatflows without flowData answers 400 or 422 with the error shape."""
    body = {"name": new_name("no-flowdata"), "type": "AGENTFLOW"}
    _create_refused(api, tracker, body, "a chatflow without flowData must be refused")


@pytest.mark.level("MUST")
def test_create_with_flow_data_not_json_is_rejected(api, tracker, new_name):
    """POST /chatflows whose flowData string is not JSON answers 400 or 422 with the error shape."""
    body = {"name": new_name("bad-flowdata"), "flowData": "this is not json {", "type": "AGENTFLOW"}
    _create_refused(api, tracker, body, "flowData that is not JSON text must be refused")


@pytest.mark.level("MUST")
def test_create_with_flow_data_object_is_rejected(api, tracker, new_name):
    """POST /chatflows with flowData as a JSON object (not a string) answers 400 or 422 with the error shape."""
    body = {"name": new_name("object-flowdata"), "flowData": {"nodes": [], "edges": []}, "type": "AGENTFLOW"}
    _create_refused(api, tracker, body, "flowData must be a string holding JSON, not an object")


@pytest.mark.level("MUST")
def test_create_with_unknown_type_is_rejected(api, tracker, new_name):
    """POST /chatflows with a type outside CHATFLOW/AGENTFLOW/MULTIAGENT/ASSISTANT answers 400 or 422."""
    body = {"name": new_name("bad-type"), "flowData": direct_reply_agentflow(), "type": "FC_NOT_A_TYPE"}
    _create_refused(api, tracker, body, "an unknown chatflow type must be refused")


@pytest.mark.level("MUST")
def test_create_without_type_is_rejected(api, tracker, new_name):
    """POST /chatflows without a type (a required field) answers 400 or 422 with the error shape."""
    body = {"name": new_name("no-type"), "flowData": direct_reply_agentflow()}
    _create_refused(api, tracker, body, "type is required on create")


@pytest.mark.level("MUST")
def test_update_with_flow_data_not_json_is_rejected(api, chatflow):
    """PUT /chatflows/{id} with flowData that is not JSON answers 400 or 422 with the error shape."""
    response = api.put(item_path("chatflows", chatflow['id']), json={"flowData": "this is not json {"})
    expect_error(response, why="flowData that is not JSON text must be refused on update too")


@pytest.mark.level("MUST")
def test_update_with_unknown_type_is_rejected(api, chatflow):
    """PUT /chatflows/{id} with an unknown type answers 400 or 422 with the error shape."""
    response = api.put(item_path("chatflows", chatflow['id']), json={"type": "FC_NOT_A_TYPE"})
    expect_error(response, why="an unknown chatflow type must be refused on update")


@pytest.mark.level("MUST")
def test_refused_update_changes_nothing(api, chatflow, new_name):
    """A PUT refused for bad flowData leaves the chatflow as it was (the name sent with it is not stored)."""
    response = api.put(item_path("chatflows", chatflow['id']), json={"name": new_name("renamed"), "flowData": "not json {"})
    # the status of the refusal is test_update_with_flow_data_not_json_is_rejected's business; here: no change
    expect(not response.is_success, "PUT with flowData that is not JSON was accepted",
           expected="a status that is not 2xx", response=response)
    again = api.get(item_path("chatflows", chatflow['id']))
    expect_status(again, 200)
    stored = expect_json(again)
    expect_equal(stored.get("name"), chatflow["name"], f"a refused update changed the name to {stored.get('name')!r}",
                 response=again)
    expect_equal(stored.get("flowData"), chatflow["flowData"], "a refused update changed flowData", response=again)
