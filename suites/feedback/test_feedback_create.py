"""Creating feedback: a rating on a stored message; the message decides chatId and chatflowid."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect_equal, expect_in, expect_json, expect_status, expect_type
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("feedback"), pytest.mark.requires("feedback"), pytest.mark.mutating]


@pytest.mark.source('docs+flowise', docs='POST /feedback: 200 ChatMessageFeedback', flowise='packages/server/src/services/feedback/index.ts: saves and returns the feedback')
@pytest.mark.level("MUST")
def test_create_returns_the_feedback(api, answer):
    """POST /feedback/{id} answers 200 with the Feedback: an id, the messageId, rating and content sent."""
    body = {"messageId": answer["chatMessageId"], "rating": "THUMBS_UP", "content": "fc helpful"}
    response = api.post(item_path("feedback", answer['chatflowid']), json=body)
    expect_status(response, 200)
    created = expect_schema(expect_json(response), "Feedback", "POST /feedback/{id} answer")
    sent = {k: created.get(k) for k in body}
    expect_equal(sent, body, f"the feedback answered differs from what was sent: {sent} vs {body}")


@pytest.mark.source('flowise', flowise='packages/server/src/services/feedback/validation.ts: fills chatId/chatflowid from the message')
@pytest.mark.level("MUST")
def test_create_takes_chat_and_chatflow_from_the_message(api, answer):
    """Without chatId and chatflowid in the body, the feedback carries those of the rated message."""
    response = api.post(item_path("feedback", answer['chatflowid']), json={"messageId": answer["chatMessageId"], "rating": "THUMBS_DOWN"})
    expect_status(response, 200)
    created = expect_json(response)
    got = (created.get("chatId"), created.get("chatflowid"))
    expect_equal(got, (answer["chatId"], answer["chatflowid"]),
                 f"(chatId, chatflowid) = {got}, the message has {(answer['chatId'], answer['chatflowid'])}")


@pytest.mark.source('docs+flowise', docs='GET /feedback/{id}: array of ChatMessageFeedback of a chatflow', flowise='packages/server/src/services/feedback/index.ts: lists by chatflowid')
@pytest.mark.level("MUST")
def test_created_feedback_is_listed(api, answer, feedback):
    """GET /feedback/{chatflowId} lists the feedback just created."""
    response = api.get(item_path("feedback", answer['chatflowid']))
    expect_status(response, 200)
    listed = expect_json(response)
    expect_type(listed, list, f"GET /feedback/{{id}} must answer a JSON array, got {str(listed)[:200]}",
                response=response)
    expect_in(feedback["id"], {f.get("id") for f in listed if isinstance(f, dict)},
              "the created feedback is not listed", response=response)


@pytest.mark.source('flowise', flowise='packages/server/src/utils/constants.ts: /api/v1/feedback is in WHITELIST_URLS (the docs declare bearerAuth, so MAY)')
@pytest.mark.level("MAY")
def test_create_needs_no_api_key(anon, answer):
    """POST /feedback/{id} is public: without an Authorization header it answers 200."""
    response = anon.post(item_path("feedback", answer['chatflowid']), json={"messageId": answer["chatMessageId"], "rating": "THUMBS_UP"})
    expect_status(response, 200)
    expect_equal(expect_json(response).get("messageId"), answer["chatMessageId"], "The feedback is not for the message sent",
                 response)


@pytest.mark.source('docs+flowise', docs='introduction: 404 Not Found - resource does not exist', flowise='packages/server/src/services/feedback/validation.ts: 404 Message not found')
@pytest.mark.level("MUST")
def test_create_for_unknown_message_is_404(api, chatflow):
    """POST /feedback/{id} with a messageId that does not exist answers 404 with the error shape."""
    response = api.post(item_path("feedback", chatflow['id']), json={"messageId": str(uuid.uuid4()), "rating": "THUMBS_UP"})
    expect_error(response, 404)


@pytest.mark.source('docs+flowise', docs='POST /feedback: 400 Invalid input provided', flowise='packages/server/src/services/feedback/validation.ts: 400 Message ID is required')
@pytest.mark.level("MUST")
def test_create_without_message_id_is_rejected(api, chatflow):
    """POST /feedback/{id} without messageId answers 400 or 422 with the error shape."""
    expect_error(api.post(item_path("feedback", chatflow['id']), json={"rating": "THUMBS_UP"}))


@pytest.mark.source('none', why='neither the docs (no required list in ChatMessageFeedback) nor Flowise (its 500 comes from a NOT NULL column) make rating required')
@pytest.mark.level("MAY")
def test_create_without_rating_is_rejected(api, answer):
    """POST /feedback/{id} without rating answers 400 or 422 with the error shape."""
    response = api.post(item_path("feedback", answer['chatflowid']), json={"messageId": answer["chatMessageId"], "content": "no rating"})
    expect_error(response)


@pytest.mark.source('docs', docs='POST /feedback: rating enum THUMBS_UP|THUMBS_DOWN; 400 Invalid input provided', flowise='observed 3.1.4: any rating string is stored, 200')
@pytest.mark.level("MUST")
def test_create_with_unknown_rating_is_rejected(api, answer):
    """POST /feedback/{id} with a rating outside THUMBS_UP/THUMBS_DOWN answers 400 or 422 with the error shape."""
    response = api.post(item_path("feedback", answer['chatflowid']), json={"messageId": answer["chatMessageId"], "rating": "MEH"})
    expect_error(response)


@pytest.mark.source('docs+flowise', docs='POST /feedback: 400 Invalid input provided', flowise='packages/server/src/services/feedback/validation.ts: 400 inconsistent chatId')
@pytest.mark.level("MUST")
def test_create_with_another_chat_id_is_400(api, answer):
    """POST /feedback/{id} whose chatId differs from the rated message's answers 400 with the error shape."""
    body = {"messageId": answer["chatMessageId"], "rating": "THUMBS_UP", "chatId": f"fc-other-chat-{uuid.uuid4()}"}
    expect_error(api.post(item_path("feedback", answer['chatflowid']), json=body), 400)


@pytest.mark.source('docs+flowise', docs='POST /feedback: 400 Invalid input provided', flowise='packages/server/src/services/feedback/validation.ts: 400 inconsistent chatflowid')
@pytest.mark.level("MUST")
def test_create_with_another_chatflow_id_is_400(api, answer):
    """POST /feedback/{id} whose body chatflowid differs from the rated message's answers 400 with the error shape."""
    body = {"messageId": answer["chatMessageId"], "rating": "THUMBS_UP", "chatflowid": str(uuid.uuid4())}
    expect_error(api.post(item_path("feedback", answer['chatflowid']), json=body), 400)
