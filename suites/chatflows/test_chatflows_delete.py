"""Chatflow delete: the delete result, and that the chatflow and its messages are really gone."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_error_shape, expect_in, expect_json, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.fixtures import by_id, read_list
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


def _delete(api, flow_id: str):
    response = api.delete(item_path("chatflows", flow_id))
    expect_status(response, 200)
    return response


@pytest.mark.level("SHOULD")
def test_delete_answers_a_delete_result(api, chatflow):
    """DELETE /chatflows/{id} answers 200 with a DeleteResult that counts the one chatflow (affected 1)."""
    body = expect_schema(expect_json(_delete(api, chatflow["id"])), "DeleteResult", "DELETE /chatflows/{id}")
    expect_in(body["affected"], (1, None), f"affected is {body['affected']!r} for one deleted chatflow")


@pytest.mark.level("MUST")
def test_deleted_chatflow_is_no_longer_listed(api, chatflow):
    """After DELETE /chatflows/{id}, GET /chatflows no longer lists the chatflow."""
    _delete(api, chatflow["id"])
    expect_not_in(chatflow["id"], by_id(read_list(api, "chatflow")), "deleted chatflow still listed")


@pytest.mark.level("SHOULD")
@pytest.mark.requires("chatmessage")
def test_delete_takes_the_messages_along(api, chatflow):
    """After DELETE of a chatflow that has messages, GET /chatmessage/{id} no longer serves them: 404."""
    answer = api.post(item_path("prediction", chatflow['id']), json={"question": "soon deleted"})
    expect_status(answer, 200)
    before = api.get(item_path("chatmessage", chatflow['id']))
    expect_status(before, 200)
    expect(expect_json(before), "The prediction left no messages to delete (precondition)",
           expected="at least one stored message", response=before)
    _delete(api, chatflow["id"])
    after = api.get(item_path("chatmessage", chatflow['id']))
    expect_status(after, 404, why="the messages of a deleted chatflow must be gone with it")
    expect_error_shape(after)
