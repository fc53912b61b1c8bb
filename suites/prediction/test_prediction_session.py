"""Chat and session ids: the chatId sent is kept, overrideConfig.sessionId is the session."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_json, expect_status, expect_type
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("prediction"), pytest.mark.mutating]


def _messages(api, flow_id: str, **params) -> list:
    response = api.get(item_path("chatmessage", flow_id), params=params)
    expect_status(response, 200)
    messages = expect_json(response)
    expect_type(messages, list, f"GET /chatmessage must answer a JSON array, got {type(messages).__name__}",
                response=response)
    return [m for m in messages if isinstance(m, dict)]


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: chatId 'Unique identifier for the chat session'", flowise='packages/server/src/utils/buildChatflow.ts: chatId = incoming chatId')
@pytest.mark.level("MUST")
def test_chat_id_sent_is_answered_back(api, chatflow):
    """A prediction sent with a new client-chosen chatId is answered with that chatId."""
    chat_id = f"fc-chat-{uuid.uuid4()}"
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "mine", "chatId": chat_id})
    expect_status(response, 200)
    got = expect_json(response).get("chatId")
    expect_equal(got, chat_id, f"chatId answered {got!r}, sent {chat_id!r}", response=response)


@pytest.mark.source('flowise', flowise='packages/server/src/utils/buildChatflow.ts: each turn stores a userMessage and an apiMessage under the chatId')
@pytest.mark.level("MUST")
@pytest.mark.requires("chatmessage")
def test_continued_chat_keeps_all_its_messages(api, chatflow):
    """Two predictions in the same chatId leave four messages (two per turn) under that chatId."""
    chat_id = f"fc-chat-{uuid.uuid4()}"
    for question in ("turn one", "turn two"):
        response = api.post(item_path("prediction", chatflow['id']), json={"question": question, "chatId": chat_id})
        expect_status(response, 200)
    messages = _messages(api, chatflow["id"], chatId=chat_id)
    questions = sorted(m.get("content") for m in messages if m.get("role") == "userMessage")
    expect_equal(len(messages), 4,
                 f"{len(messages)} messages under the chat, expected 4: {[m.get('role') for m in messages]}")
    expect_equal(questions, ["turn one", "turn two"], f"user messages of the chat: {questions}")


@pytest.mark.source('docs+flowise', docs="schema Prediction: overrideConfig example sessionId 'user-session-123'", flowise='packages/server/src/utils/buildChatflow.ts: sessionId = overrideConfig.sessionId when given')
@pytest.mark.level("SHOULD")
def test_override_session_id_is_the_session_id(api, chatflow):
    """A prediction with overrideConfig.sessionId is answered with that sessionId."""
    session_id = f"fc-session-{uuid.uuid4()}"
    body = {"question": "session", "overrideConfig": {"sessionId": session_id}}
    response = api.post(item_path("prediction", chatflow['id']), json=body)
    expect_status(response, 200)
    got = expect_json(response).get("sessionId")
    expect_equal(got, session_id, f"sessionId answered {got!r}, sent overrideConfig.sessionId {session_id!r}",
                 response=response)


@pytest.mark.source('flowise', flowise='packages/server/src/utils/buildChatflow.ts: stored messages carry the sessionId')
@pytest.mark.level("SHOULD")
@pytest.mark.requires("chatmessage")
def test_override_session_id_is_stored_on_the_messages(api, chatflow):
    """The messages of a prediction with overrideConfig.sessionId carry it (GET /chatmessage?sessionId= finds both)."""
    session_id = f"fc-session-{uuid.uuid4()}"
    body = {"question": "session stored", "overrideConfig": {"sessionId": session_id}}
    expect_status(api.post(item_path("prediction", chatflow['id']), json=body), 200)
    messages = _messages(api, chatflow["id"], sessionId=session_id)
    roles = sorted(str(m.get("role")) for m in messages)
    expect_equal(roles, ["apiMessage", "userMessage"], f"messages under the session: {roles}")
    expect(all(m.get("sessionId") == session_id for m in messages), "a message does not carry the sessionId",
           expected='all(m.get("sessionId") == session_id for m in messages)',
           received=[m.get("sessionId") for m in messages])
