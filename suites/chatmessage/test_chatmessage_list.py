"""Chat messages listing: the stored shape, the order, and every documented filter."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_not_in, expect_type
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.spec import component_schema
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatmessage"), pytest.mark.requires("chatmessage"), pytest.mark.mutating]

CHAT_TYPES = tuple(component_schema("ChatType")["enum"])


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: 200 array of ChatMessage', flowise="packages/server/src/services/chat-messages/index.ts: lists the chatflow's stored messages")
@pytest.mark.level("MUST")
def test_listed_messages_match_the_chat_message_schema(conversations):
    """Every message GET /chatmessage/{id} lists after a prediction matches the ChatMessage schema."""
    convo = conversations(1)
    chat = convo.chats[0]
    for message in chat.messages:
        expect_schema(message, "ChatMessage", f"message {message.get('id')}")
    expect_equal({m["chatflowid"] for m in chat.messages}, {convo.flow_id}, "messages name another chatflow")


@pytest.mark.source('flowise', flowise='packages/server/src/utils/getChatMessage.ts: orders by createdDate ASC unless order=DESC')
@pytest.mark.level("MUST")
def test_list_is_oldest_first_by_default(conversations, list_chat_messages):
    """Without order, GET /chatmessage/{id} lists by createdDate ascending (the earlier chat first)."""
    convo = conversations(2)
    listed = list_chat_messages(convo.flow_id)
    stamps = [m["createdDate"] for m in listed]
    expect_equal(stamps, sorted(stamps, key=_instant), f"createdDate not ascending: {stamps}")
    first, second = convo.chats
    positions = {m["id"]: i for i, m in enumerate(listed)}
    expect(max(positions[i] for i in first.message_ids) < min(positions[i] for i in second.message_ids),
           "the messages of the earlier chat must come first",
           expected='max(positions[i] for i in first.message_ids) < min(positions[i] for i in second.message_ids)',
           received=f"positions {positions}")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query order ASC|DESC (Sort order)', flowise='packages/server/src/utils/getChatMessage.ts: order by createdDate in the given order')
@pytest.mark.level("MUST")
def test_order_desc_lists_newest_first(conversations, list_chat_messages):
    """With order=DESC, GET /chatmessage/{id} lists by createdDate descending (the later chat first)."""
    convo = conversations(2)
    listed = list_chat_messages(convo.flow_id, order="DESC")
    stamps = [m["createdDate"] for m in listed]
    expect_equal(stamps, sorted(stamps, key=_instant, reverse=True), f"createdDate not descending: {stamps}")
    first, second = convo.chats
    positions = {m["id"]: i for i, m in enumerate(listed)}
    expect(max(positions[i] for i in second.message_ids) < min(positions[i] for i in first.message_ids),
           "with order=DESC the messages of the later chat must come first",
           expected='max(positions[i] for i in second.message_ids) < min(positions[i] for i in first.message_ids)',
           received=f"positions {positions}")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query chatId (Filter by chat ID)', flowise='packages/server/src/utils/getChatMessage.ts: where chatId')
@pytest.mark.level("MUST")
def test_chat_id_filter_lists_only_that_chat(conversations, list_chat_messages):
    """GET /chatmessage/{id}?chatId=X lists exactly the messages of chat X."""
    convo = conversations(2)
    first, _ = convo.chats
    listed = list_chat_messages(convo.flow_id, chatId=first.chat_id)
    expect_equal(ids(listed), first.message_ids,
                 f"chatId={first.chat_id}: listed {sorted(ids(listed))}, chat has {sorted(first.message_ids)}")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query sessionId (Filter by session ID)', flowise='packages/server/src/utils/getChatMessage.ts: where sessionId')
@pytest.mark.level("MUST")
def test_session_id_filter_lists_only_that_session(conversations, list_chat_messages):
    """GET /chatmessage/{id}?sessionId=S lists only messages of session S (another chat's are left out)."""
    convo = conversations(2)
    first, second = convo.chats
    expect(first.session_id != second.session_id, "setup: two new chats must have different sessionIds",
           expected='first.session_id != second.session_id', received=first.session_id)
    listed = list_chat_messages(convo.flow_id, sessionId=first.session_id)
    expect(first.message_ids <= ids(listed), "the session's own messages are missing",
           expected='first.message_ids <= ids(listed)', received=first.message_ids)
    expect(not ids(listed) & second.message_ids, "messages of another session were listed",
           expected='not ids(listed) & second.message_ids', received=ids(listed) & second.message_ids)
    expect_equal({m.get("sessionId") for m in listed}, {first.session_id}, "a listed message has another sessionId")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query chatType INTERNAL|EXTERNAL (Filter by chat type)', flowise='packages/server/src/utils/getChatMessage.ts: where chatType In(...)')
@pytest.mark.level("MUST")
def test_chat_type_filter_excludes_other_types(conversations, list_chat_messages):
    """GET /chatmessage/{id}?chatType=T leaves out messages of any other chat type."""
    convo = conversations(1)
    chat = convo.chats[0]
    own = {m.get("chatType") for m in chat.messages}
    expect(len(own) == 1 and own <= set(CHAT_TYPES), f"setup: the chat's messages have chat types {own}",
           expected='len(own) == 1 and own <= set(CHAT_TYPES)', received=len(own))
    other = next(t for t in CHAT_TYPES if t not in own)
    listed = list_chat_messages(convo.flow_id, chatType=other)
    expect(not ids(listed) & chat.message_ids, f"chatType={other} listed messages of type {next(iter(own))}",
           expected='not ids(listed) & chat.message_ids', received=ids(listed) & chat.message_ids)


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query chatType INTERNAL|EXTERNAL (Filter by chat type)', flowise='packages/server/src/utils/getChatMessage.ts: where chatType In(...)')
@pytest.mark.level("MUST")
def test_chat_type_filter_keeps_that_type(conversations, list_chat_messages):
    """GET /chatmessage/{id}?chatType=T lists the messages of type T."""
    convo = conversations(1)
    chat = convo.chats[0]
    own = chat.messages[0].get("chatType")
    listed = list_chat_messages(convo.flow_id, chatType=own)
    expect(chat.message_ids <= ids(listed), f"chatType={own} left out messages of that type",
           expected='chat.message_ids <= ids(listed)', received=chat.message_ids)


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query memoryType (Filter by memory type)', flowise='packages/server/src/utils/getChatMessage.ts: where memoryType')
@pytest.mark.level("MUST")
def test_memory_type_filter_excludes_other_memory_types(conversations, list_chat_messages):
    """GET /chatmessage/{id}?memoryType=M leaves out messages stored with another (or no) memory type."""
    convo = conversations(1)
    chat = convo.chats[0]
    listed = list_chat_messages(convo.flow_id, memoryType="fc-no-such-memory")
    expect(not ids(listed) & chat.message_ids, "memoryType=fc-no-such-memory listed messages of another memory type",
           expected='not ids(listed) & chat.message_ids', received=ids(listed) & chat.message_ids)


@pytest.mark.source('flowise', flowise='packages/server/src/controllers/chat-messages/index.ts: reads messageId and filters by id')
@pytest.mark.level("MUST")
def test_message_id_filter_lists_only_that_message(conversations, list_chat_messages):
    """GET /chatmessage/{id}?messageId=M lists exactly message M."""
    convo = conversations(1)
    chat = convo.chats[0]
    listed = list_chat_messages(convo.flow_id, messageId=chat.api_message_id)
    expect_equal(ids(listed), {chat.api_message_id}, f"messageId filter listed {sorted(ids(listed))}")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query startDate date-time (Filter by start date)', flowise='packages/server/src/utils/getChatMessage.ts: createdDate >= startDate')
@pytest.mark.level("MUST")
def test_start_date_is_inclusive(conversations, list_chat_messages):
    """startDate equal to a message's createdDate lists that message and leaves out older ones."""
    convo = conversations(2)
    first, second = convo.chats
    _require_apart(first, second)
    _expect_bound(list_chat_messages(convo.flow_id, startDate=second.first_instant()),
                  f"startDate={second.first_instant()}", kept=second, left_out=first, side="after", other="older")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query endDate date-time (Filter by end date)', flowise='packages/server/src/utils/getChatMessage.ts: createdDate <= endDate')
@pytest.mark.level("MUST")
def test_end_date_is_inclusive(conversations, list_chat_messages):
    """endDate equal to a message's createdDate lists that message and leaves out newer ones."""
    convo = conversations(2)
    first, second = convo.chats
    _require_apart(first, second)
    _expect_bound(list_chat_messages(convo.flow_id, endDate=first.last_instant()),
                  f"endDate={first.last_instant()}", kept=first, left_out=second, side="before", other="newer")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query startDate/endDate (Filter by start/end date)', flowise='packages/server/src/utils/getChatMessage.ts: Between(startDate, endDate)')
@pytest.mark.level("MUST")
def test_date_range_lists_only_messages_inside(conversations, list_chat_messages):
    """startDate and endDate together list exactly the messages created within [startDate, endDate]."""
    convo = conversations(3)
    first, middle, last = convo.chats
    _require_apart(first, middle)
    _require_apart(middle, last)
    listed = list_chat_messages(convo.flow_id, startDate=middle.first_instant(), endDate=middle.last_instant())
    expect_equal(ids(listed), middle.message_ids,
                 f"[{middle.first_instant()}, {middle.last_instant()}] listed {sorted(ids(listed))}, expected {sorted(middle.message_ids)}")


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query feedback boolean; feedbackType only applicable if feedback is true', flowise="packages/server/src/utils/getChatMessage.ts: feedback=true joins each message's feedback")
@pytest.mark.level("MUST")
@pytest.mark.requires("feedback")
def test_feedback_true_attaches_each_message_feedback(conversations, list_chat_messages, rate_message):
    """With feedback=true, a rated message carries its feedback object and an unrated one carries none."""
    convo = conversations(1)
    chat = convo.chats[0]
    given = rate_message(convo.flow_id, chat.api_message_id, "THUMBS_UP", content="fc rated")
    listed = {m["id"]: m for m in list_chat_messages(convo.flow_id, chatId=chat.chat_id, feedback="true")}
    rated = listed.get(chat.api_message_id)
    expect(rated is not None, "the rated message is not listed with feedback=true", expected='rated is not None',
           received=rated)
    attached = rated.get("feedback")
    expect_type(attached, dict, f"the rated message carries feedback {attached!r}")
    expect_equal((attached.get("id"), attached.get("rating")), (given["id"], "THUMBS_UP"),
                 f"attached feedback {attached!r}")
    for other in chat.message_ids - {chat.api_message_id}:
        expect(listed.get(other, {}).get("feedback") is None, f"unrated message {other} carries feedback",
               expected='listed.get(other, {}).get("feedback") is None', received=listed.get(other, {}).get("feedback"))


@pytest.mark.source('docs+flowise', docs='GET /chatmessage/{id}: query feedbackType THUMBS_UP|THUMBS_DOWN (Filter by feedback type)', flowise='packages/server/src/utils/getChatMessage.ts: keeps messages whose feedback has that rating')
@pytest.mark.level("MUST")
@pytest.mark.requires("feedback")
def test_feedback_type_filter_keeps_only_that_rating(conversations, list_chat_messages, rate_message):
    """feedbackType=THUMBS_UP lists the message rated THUMBS_UP and leaves out the one rated THUMBS_DOWN."""
    convo = conversations(2)
    liked, disliked = convo.chats
    rate_message(convo.flow_id, liked.api_message_id, "THUMBS_UP")
    rate_message(convo.flow_id, disliked.api_message_id, "THUMBS_DOWN")
    listed = ids(list_chat_messages(convo.flow_id, feedback="true", feedbackType="THUMBS_UP"))
    expect_in(liked.api_message_id, listed, "the THUMBS_UP message is missing")
    expect_not_in(disliked.api_message_id, listed, "the THUMBS_DOWN message was listed for feedbackType=THUMBS_UP")


@pytest.mark.source('docs', docs='GET /chatmessage/{id}: startDate/endDate format date-time', flowise='observed 3.1.4: not-a-date is not validated, 200 (invalid Date in the query)')
@pytest.mark.level("MUST")
@pytest.mark.parametrize("name", ["startDate", "endDate"])
def test_invalid_date_filter_is_rejected(api, chatflow, name):
    """A startDate/endDate that is not a date-time is answered 400 or 422 with the error shape."""
    expect_error(api.get(item_path("chatmessage", chatflow['id']), params={name: "not-a-date"}))


@pytest.mark.source('docs', docs='GET /chatmessage/{id}: chatType enum INTERNAL|EXTERNAL', flowise='observed 3.1.4: unknown chatType answers 200 []')
@pytest.mark.level("MUST")
def test_unknown_chat_type_is_rejected(api, chatflow):
    """A chatType outside the ChatType enumeration is answered 400 or 422 with the error shape."""
    expect_error(api.get(item_path("chatmessage", chatflow['id']), params={"chatType": "FC_NO_SUCH_TYPE"}))


@pytest.mark.source('docs', docs='introduction: 404 Not Found - resource does not exist', flowise="observed 3.1.4: 500 'Unauthorized access' for an unknown chatflow")
@pytest.mark.level("MUST")
def test_list_of_unknown_chatflow_is_404(api):
    """GET /chatmessage/{id} for a chatflow id that does not exist answers 404 with the error shape."""
    expect_error(api.get(item_path("chatmessage", uuid.uuid4())), 404)


def _expect_bound(listed, bound, kept, left_out, side, other):  # noqa: ANN001, ANN202
    """An inclusive date bound: every message of ``kept`` is listed, none of ``left_out``."""
    expect(kept.message_ids <= ids(listed), f"{bound} left out messages created at or {side} it",
           expected='kept.message_ids <= ids(listed)', received=kept.message_ids)
    expect(not ids(listed) & left_out.message_ids, f"{bound} listed {other} messages",
           expected='not ids(listed) & left_out.message_ids', received=ids(listed) & left_out.message_ids)


def ids(messages):  # noqa: ANN001, ANN201
    return {m.get("id") for m in messages}


def _instant(stamp: str):  # noqa: ANN202 - datetime
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _require_apart(earlier, later) -> None:  # noqa: ANN001 - Chat
    """Setup guard: the later chat's messages were all created after the earlier chat's."""
    expect(
        _instant(earlier.last_instant()) < _instant(later.first_instant()),
        "setup: chats made a fraction of a second apart have overlapping createdDate "
        f"({earlier.last_instant()} vs {later.first_instant()})",
        expected='_instant(earlier.last_instant()) < _instant(later.first_instant())',
        received=f"{earlier.last_instant()} vs {later.first_instant()}",
    )

