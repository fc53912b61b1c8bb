"""Deleting chat messages: exactly the matching messages go, with their feedback; nothing else."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_json, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatmessage"), pytest.mark.requires("chatmessage"), pytest.mark.mutating]


def ids(messages):  # noqa: ANN001, ANN201
    return {m.get("id") for m in messages}


@pytest.mark.source('docs+flowise', docs='DELETE /chatmessage/{id}: query chatId (Filter by chat ID)', flowise='packages/server/src/services/chat-messages/index.ts: removeAllChatMessages deletes where chatId')
@pytest.mark.level("MUST")
def test_delete_by_chat_id_deletes_only_that_chat(api, conversations, list_chat_messages):
    """DELETE /chatmessage/{id}?chatId=X removes chat X's messages and keeps those of the other chat."""
    convo = conversations(2)
    doomed, kept = convo.chats
    response = api.delete(item_path("chatmessage", convo.flow_id), params={"chatId": doomed.chat_id})
    expect_status(response, 200)
    left = ids(list_chat_messages(convo.flow_id))
    expect(not left & doomed.message_ids, "messages of the deleted chat are still listed",
           expected='not left & doomed.message_ids', received=left & doomed.message_ids)
    expect(kept.message_ids <= left, "messages of the other chat were deleted too", expected='kept.message_ids <= left',
           received=kept.message_ids)


@pytest.mark.source('flowise', flowise='packages/server/src/services/chat-messages/index.ts: answers TypeORM DeleteResult {raw, affected}')
@pytest.mark.level("MUST")
def test_delete_answers_the_number_deleted(api, conversations):
    """DELETE /chatmessage/{id}?chatId=X answers a DeleteResult whose affected counts the chat's messages."""
    convo = conversations(2)
    doomed = convo.chats[0]
    response = api.delete(item_path("chatmessage", convo.flow_id), params={"chatId": doomed.chat_id})
    expect_status(response, 200)
    result = expect_schema(expect_json(response), "DeleteResult", "DELETE /chatmessage/{id} answer")
    expect_in(result["affected"], (len(doomed.messages), None),
              f"affected is {result['affected']}, the chat had {len(doomed.messages)} messages", response=response)


@pytest.mark.source('docs+flowise', docs='DELETE /chatmessage/{id}: query sessionId (Filter by session ID)', flowise='packages/server/src/services/chat-messages/index.ts: deletes where sessionId')
@pytest.mark.level("MUST")
def test_delete_by_session_id_deletes_only_that_session(api, conversations, list_chat_messages):
    """DELETE /chatmessage/{id}?sessionId=S removes session S's messages and keeps the other session's."""
    convo = conversations(2)
    doomed, kept = convo.chats
    expect(doomed.session_id != kept.session_id, "setup: two new chats must have different sessionIds",
           expected='doomed.session_id != kept.session_id', received=doomed.session_id)
    response = api.delete(item_path("chatmessage", convo.flow_id), params={"sessionId": doomed.session_id})
    expect_status(response, 200)
    left = ids(list_chat_messages(convo.flow_id))
    expect(not left & doomed.message_ids, "messages of the deleted session are still listed",
           expected='not left & doomed.message_ids', received=left & doomed.message_ids)
    expect(kept.message_ids <= left, "messages of the other session were deleted too",
           expected='kept.message_ids <= left', received=kept.message_ids)


@pytest.mark.source('docs+flowise', docs='DELETE /chatmessage/{id}: Delete all chat messages for a specific chatflow', flowise='packages/server/src/services/chat-messages/index.ts: deletes every message of the chatflow')
@pytest.mark.level("MUST")
def test_delete_without_filters_deletes_every_message(api, conversations, list_chat_messages):
    """DELETE /chatmessage/{id} without filters removes every message of the chatflow."""
    convo = conversations(2)
    response = api.delete(item_path("chatmessage", convo.flow_id))
    expect_status(response, 200)
    left = list_chat_messages(convo.flow_id)
    expect_equal(left, [], f"{len(left)} messages are still listed after deleting all")


@pytest.mark.source('flowise', flowise='observed 3.1.4: a filter matching nothing answers 200 affected 0')
@pytest.mark.level("MUST")
def test_delete_matching_nothing_is_200_and_keeps_messages(api, conversations, list_chat_messages):
    """DELETE /chatmessage/{id}?chatId=<unknown chat> answers 200 with affected 0 and deletes nothing."""
    convo = conversations(1)
    chat = convo.chats[0]
    response = api.delete(item_path("chatmessage", convo.flow_id), params={"chatId": f"fc-no-such-chat-{uuid.uuid4()}"})
    expect_status(response, 200)
    result = expect_schema(expect_json(response), "DeleteResult", "DELETE /chatmessage/{id} answer")
    expect_in(result["affected"], (0, None), f"affected is {result['affected']} although nothing matched",
              response=response)
    expect(chat.message_ids <= ids(list_chat_messages(convo.flow_id)), "messages were deleted although nothing matched",
           expected='chat.message_ids <= ids(list_chat_messages(convo.flow_id))', received=chat.message_ids)


@pytest.mark.source('flowise', flowise="packages/server/src/services/chat-messages/index.ts: removeAllChatMessages also deletes the chat's ChatMessageFeedback")
@pytest.mark.level("MUST")
@pytest.mark.requires("feedback")
def test_delete_removes_the_messages_feedback(api, conversations, rate_message):
    """Deleting a chat's messages deletes their feedback: GET /feedback/{id}?chatId=X is then empty."""
    convo = conversations(1)
    chat = convo.chats[0]
    rate_message(convo.flow_id, chat.api_message_id, "THUMBS_DOWN")
    expect_status(api.delete(item_path("chatmessage", convo.flow_id), params={"chatId": chat.chat_id}), 200)
    response = api.get(item_path("feedback", convo.flow_id), params={"chatId": chat.chat_id})
    expect_status(response, 200)
    left = expect_json(response)
    expect_equal(left, [], f"the deleted messages' feedback is still listed: {str(left)[:300]}", response=response)


@pytest.mark.source('docs', docs='DELETE /chatmessage/{id}: 404 Chat messages not found', flowise='observed 3.1.4: see the expectations draft')
@pytest.mark.level("MUST")
def test_delete_of_unknown_chatflow_is_404(api):
    """DELETE /chatmessage/{id} for a chatflow id that does not exist answers 404 with the error shape."""
    expect_error(api.delete(item_path("chatmessage", uuid.uuid4())), 404)
