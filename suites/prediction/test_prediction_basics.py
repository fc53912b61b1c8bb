"""Prediction: JSON answers, chat continuity, stored messages (streaming: contracts/test_sse.py)."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_json, expect_status
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("prediction"), pytest.mark.mutating]


@pytest.mark.source('docs+flowise', docs='POST /prediction/{id}: 200 text, question, chatId, chatMessageId, sessionId', flowise='packages/server/src/utils/buildChatflow.ts: result fields question, chatId, chatMessageId, sessionId')
@pytest.mark.level("MUST")
def test_prediction_answers_text_and_ids(api, chatflow):
    """POST /prediction/{id} answers 200 JSON with text, question, chatId, chatMessageId, sessionId."""
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "hello conformance"})
    expect_status(response, 200)
    body = expect_json(response)
    for field in ("text", "question", "chatId", "chatMessageId", "sessionId"):
        expect(isinstance(body.get(field), str) and body[field], f"{field} missing or empty in {body!r}",
               expected='isinstance(body.get(field), str) and body[field]', received=body.get(field), response=response)
    expect_equal(body["question"], "hello conformance", "The answer's question is not the one sent", response)


@pytest.mark.source('docs+flowise', docs="schema Prediction: chatId continues a conversation (sessionId 'for conversation continuity')", flowise='packages/server/src/utils/buildChatflow.ts: an incoming chatId is kept')
@pytest.mark.level("MUST")
def test_chat_id_is_continued(api, chatflow):
    """A prediction sent with the chatId of an earlier answer stays in that chat (same chatId back)."""
    first_response = api.post(item_path("prediction", chatflow['id']), json={"question": "one"})
    first = expect_json(first_response, 200)
    second = api.post(item_path("prediction", chatflow['id']), json={"question": "two", "chatId": first["chatId"]})
    expect_status(second, 200)
    expect_equal(expect_json(second).get("chatId"), first["chatId"], "chatId was not continued", second)


@pytest.mark.source('flowise', flowise='packages/server/src/utils/buildChatflow.ts: stores a userMessage and an apiMessage; chatMessageId is the apiMessage id')
@pytest.mark.level("MUST")
def test_prediction_is_stored_as_two_messages(api, chatflow):
    """After one prediction, GET /chatmessage/{id} lists its userMessage and apiMessage."""
    answer_response = api.post(item_path("prediction", chatflow['id']), json={"question": "store me"})
    answer = expect_json(answer_response, 200)
    response = api.get(item_path("chatmessage", chatflow['id']), params={"chatId": answer["chatId"]})
    expect_status(response, 200)
    messages = expect_json(response)
    roles = sorted(m.get("role") for m in messages if isinstance(m, dict))
    expect_equal(roles, ["apiMessage", "userMessage"], f"messages of the chat: {roles}")
    expect_in(answer["chatMessageId"], {m.get("id") for m in messages}, "chatMessageId is not the stored apiMessage",
              response=response)


# Streamed predictions (SSE framing, event grammar, end event) are checked in contracts/test_sse.py.
