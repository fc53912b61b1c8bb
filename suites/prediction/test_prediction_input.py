"""Prediction input: overrideConfig and history are accepted, malformed history and unknown chatflows refused."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_status
from flowise_conformance.crud import expect_error
from flowise_conformance.flows import echo_answer
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("prediction"), pytest.mark.mutating]


@pytest.mark.source('docs+flowise', docs="schema Prediction: overrideConfig object 'pass variables at runtime' (vars)", flowise='packages/server/src/utils/buildChatflow.ts: overrideConfig vars are applied')
@pytest.mark.level("MUST")
def test_override_config_is_accepted(api, chatflow):
    """A prediction with an overrideConfig object (vars) is answered 200 with the flow's reply."""
    body = {"question": "with overrides", "overrideConfig": {"vars": {"fcVariable": "fc-value"}}}
    response = api.post(item_path("prediction", chatflow['id']), json=body)
    expect_status(response, 200)
    expect_equal(expect_json(response).get("text"), echo_answer("with overrides"), "The answer is not the flow's reply", response)


@pytest.mark.source('docs+flowise', docs='schema Prediction: history array of {role apiMessage|userMessage, content}', flowise='packages/server/src/utils/buildChatflow.ts: a well-formed history is used')
@pytest.mark.level("MUST")
def test_history_is_accepted(api, chatflow):
    """A prediction with a well-formed history (userMessage/apiMessage items) is answered 200 with the reply."""
    history = [{"role": "userMessage", "content": "earlier question"}, {"role": "apiMessage", "content": "earlier answer"}]
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "with history", "history": history})
    expect_status(response, 200)
    expect_equal(expect_json(response).get("text"), echo_answer("with history"), "The answer is not the flow's reply", response)


@pytest.mark.source('docs', docs="POST /prediction/{id}: 400 'Invalid input provided'; history role enum [apiMessage, userMessage]", flowise="observed 3.1.4: 500 'Invalid history format' (predictionsServices wraps it)")
@pytest.mark.level("MUST")
def test_history_with_unknown_role_is_rejected(api, chatflow):
    """A history item whose role is not apiMessage/userMessage is answered 400 or 422 with the error shape."""
    history = [{"role": "fcNotARole", "content": "x"}]
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "bad history", "history": history})
    expect_error(response, why="a malformed history must be refused")


@pytest.mark.source('docs', docs="POST /prediction/{id}: 400 'Invalid input provided'; history is an array", flowise="observed 3.1.4: 500 'Invalid history format'")
@pytest.mark.level("MUST")
def test_history_that_is_not_a_list_is_rejected(api, chatflow):
    """A history that is a string instead of a list is answered 400 or 422 with the error shape."""
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "bad history", "history": "earlier"})
    expect_error(response, why="a history that is not a list must be refused")


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: 404 'Chatflow with specified ID does not exist'", flowise='packages/server/src/utils/buildChatflow.ts: 404 Chatflow not found')
@pytest.mark.level("MUST")
def test_unknown_chatflow_is_404(api):
    """POST /prediction/{id} (no streaming field) for a chatflow that does not exist answers 404 with the error shape."""
    expect_error(api.post(item_path("prediction", uuid.uuid4()), json={"question": "anyone there"}), 404)


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: 404 'Chatflow with specified ID does not exist'", flowise='packages/server/src/utils/buildChatflow.ts: 404 Chatflow not found')
@pytest.mark.level("MUST")
def test_unknown_chatflow_with_streaming_false_is_404(api):
    """POST /prediction/{id} with "streaming": false for a chatflow that does not exist answers 404 JSON."""
    response = api.post(item_path("prediction", uuid.uuid4()), json={"question": "anyone there", "streaming": False})
    expect_error(response, 404)


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: 404 'Chatflow with specified ID does not exist' (400 invalid input)", flowise='observed 3.1.4: 404 for an id that is not a uuid')
@pytest.mark.level("MUST")
def test_malformed_chatflow_id_is_400_or_404(api):
    """POST /prediction/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    expect_error(api.post("prediction/fc-not-a-uuid", json={"question": "anyone there"}), 400, 404)
