"""Prediction answers: the flow's reply, the documented fields, a new chat per request without chatId."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_json, expect_status
from flowise_conformance.checks.schemas import expect_answer
from flowise_conformance.flows import echo_answer
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("prediction"), pytest.mark.mutating]


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: 200 text is 'The AI-generated response text'", flowise="packages/server/src/utils/buildChatflow.ts: answers the flow's result text")
@pytest.mark.level("MUST")
def test_answer_text_is_the_flows_reply(api, chatflow):
    """The answer's text is what the flow replies: the test flow's Direct Reply renders 'Echo: <question>'."""
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "what do you say"})
    expect_status(response, 200)
    text = expect_json(response).get("text")
    expect_equal(text, echo_answer("what do you say"),
                 f"text is {text!r}, the flow replies {echo_answer('what do you say')!r}", response=response)


@pytest.mark.source('docs+flowise', docs='POST /prediction/{id}: 200 object with text, question, chatId, chatMessageId, sessionId strings', flowise='packages/server/src/utils/buildChatflow.ts: the result carries question, chatId, chatMessageId, sessionId')
@pytest.mark.level("MUST")
def test_answer_matches_the_schema(api, chatflow):
    """A JSON answer is valid against PredictionResponse (chatMessageId a uuid, the ids strings)."""
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "schema please"})
    expect_answer(response, "PredictionResponse", "POST /prediction/{id}")


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: chatId 'Unique identifier for the chat session'", flowise='packages/server/src/utils/buildChatflow.ts: chatId = incoming chatId or a new uuid')
@pytest.mark.level("MUST")
def test_requests_without_chat_id_start_new_chats(api, chatflow):
    """Two predictions sent without chatId are answered with two different chatIds (a new chat each)."""
    first = api.post(item_path("prediction", chatflow['id']), json={"question": "first"})
    second = api.post(item_path("prediction", chatflow['id']), json={"question": "second"})
    expect_status(first, 200)
    expect_status(second, 200)
    a, b = expect_json(first).get("chatId"), expect_json(second).get("chatId")
    expect(isinstance(a, str) and a, f"no chatId in the first answer: {a!r}", expected='isinstance(a, str) and a',
           received=a)
    expect(a != b, "two requests without chatId were put in the same chat", expected='a != b', received=a)
