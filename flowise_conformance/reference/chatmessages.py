"""Chat messages of a chatflow: list with filters, delete with filters (and their feedback).

Filters (spec: listChatMessages / deleteChatMessages): chatType (repeated, or a JSON list),
chatId, sessionId, memoryType, messageId (list only), startDate/endDate (inclusive ISO
instants), feedbackType (repeated). Invalid values are 400, never silently ignored.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import chatflows
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, ok

KIND = "chatmessage"
FEEDBACK_KIND = "feedback"
CHAT_TYPES = ("INTERNAL", "EXTERNAL", "EVALUATION", "MCP", "SCHEDULED", "WEBHOOK")
RATINGS = ("THUMBS_UP", "THUMBS_DOWN")

MESSAGES_NOT_STORED = fault(
    "chatmessages-empty",
    "GET /chatmessage/{id} answers an empty list although predictions were made.",
    caught_by=["prediction/test_prediction_basics.py::test_prediction_is_stored_as_two_messages"],
)
CHAT_TYPE_IGNORED = fault(
    "chatmessage-chattype-ignored",
    "GET /chatmessage/{id} ignores the chatType filter (messages of every type are listed).",
    caught_by=["chatmessage/test_chatmessage_list.py::test_chat_type_filter_excludes_other_types"],
)
ORDER_IGNORED = fault(
    "chatmessage-order-ignored",
    "GET /chatmessage/{id} ignores order=DESC (always oldest first).",
    caught_by=["chatmessage/test_chatmessage_list.py::test_order_desc_lists_newest_first"],
)
DATES_EXCLUSIVE = fault(
    "chatmessage-dates-exclusive",
    "startDate/endDate exclude a message created exactly at the bound (> and < instead of >= and <=).",
    caught_by=[
        "chatmessage/test_chatmessage_list.py::test_start_date_is_inclusive",
        "chatmessage/test_chatmessage_list.py::test_end_date_is_inclusive",
        "chatmessage/test_chatmessage_list.py::test_date_range_lists_only_messages_inside",
        "feedback/test_feedback_list.py::test_list_date_range_is_inclusive",
    ],
)
BAD_DATE_IGNORED = fault(
    "chatmessage-bad-date-ignored",
    "A startDate/endDate that is not a date is ignored (200) instead of rejected (chat messages and feedback).",
    caught_by=[
        "feedback/test_feedback_list.py::test_list_invalid_date_is_rejected",
        "chatmessage/test_chatmessage_list.py::test_invalid_date_filter_is_rejected[startDate]",
        "chatmessage/test_chatmessage_list.py::test_invalid_date_filter_is_rejected[endDate]",
    ],
)
SESSION_ID_IGNORED = fault(
    "chatmessage-sessionid-ignored",
    "GET /chatmessage/{id} ignores the sessionId filter.",
    caught_by=["chatmessage/test_chatmessage_list.py::test_session_id_filter_lists_only_that_session"],
)
CHAT_ID_IGNORED = fault(
    "chatmessage-chatid-ignored",
    "GET /chatmessage/{id} ignores the chatId filter.",
    caught_by=["chatmessage/test_chatmessage_list.py::test_chat_id_filter_lists_only_that_chat"],
)
MESSAGE_ID_IGNORED = fault(
    "chatmessage-messageid-ignored",
    "GET /chatmessage/{id} ignores the messageId filter.",
    caught_by=["chatmessage/test_chatmessage_list.py::test_message_id_filter_lists_only_that_message"],
)
AFFECTED_ZERO = fault(
    "chatmessage-delete-affected-zero",
    "DELETE /chatmessage/{id} deletes the messages but answers affected: 0.",
    caught_by=["chatmessage/test_chatmessage_delete.py::test_delete_answers_the_number_deleted"],
)
FEEDBACK_NOT_ATTACHED = fault(
    "chatmessage-feedback-not-attached",
    "feedback=true lists the messages without their feedback.",
    caught_by=["chatmessage/test_chatmessage_list.py::test_feedback_true_attaches_each_message_feedback"],
)
DELETE_IGNORES_CHAT_ID = fault(
    "chatmessage-delete-ignores-chatid",
    "DELETE /chatmessage/{id}?chatId=X deletes the messages of every chat of the chatflow.",
    caught_by=["chatmessage/test_chatmessage_delete.py::test_delete_by_chat_id_deletes_only_that_chat"],
)
DELETE_KEEPS_FEEDBACK = fault(
    "chatmessage-delete-keeps-feedback",
    "DELETE /chatmessage/{id} removes the messages but leaves their feedback listed.",
    caught_by=["chatmessage/test_chatmessage_delete.py::test_delete_removes_the_messages_feedback"],
)


def multi(request: Request, name: str, allowed: tuple[str, ...]) -> list[str]:
    """A repeated query parameter (or one holding a JSON list); every value must be allowed."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        if raw.startswith("["):
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise ApiError(400, f"'{name}' is neither a value nor a JSON list") from None
            if not isinstance(parsed, list):
                raise ApiError(400, f"'{name}' must be a value or a JSON list")
            values.extend(str(v) for v in parsed)
        else:
            values.append(raw)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ApiError(400, f"'{name}' must be one of {', '.join(allowed)}; got {bad[0]!r}")
    return values


def parse_date(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        if BAD_DATE_IGNORED.on(request):
            return None
        raise ApiError(400, f"'{name}' must be an ISO 8601 date-time, got {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def created(doc: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(doc["createdDate"].replace("Z", "+00:00"))


def date_filters(request: Request, *, both_or_none: bool = False) -> list[Callable[[dict[str, Any]], bool]]:
    """Inclusive bounds; ``both_or_none`` (a fault of feedback) drops a lone bound."""
    start, end = parse_date(request, "startDate"), parse_date(request, "endDate")
    if both_or_none and not (start and end):
        start = end = None
    out: list[Callable[[dict[str, Any]], bool]] = []
    if DATES_EXCLUSIVE.on(request):
        if start:
            out.append(lambda d: created(d) > start)
        if end:
            out.append(lambda d: created(d) < end)
        return out
    if start:
        out.append(lambda d: created(d) >= start)
    if end:
        out.append(lambda d: created(d) <= end)
    return out


def parse_order(request: Request, name: str = "order") -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.upper() not in ("ASC", "DESC"):
        raise ApiError(400, f"'{name}' must be ASC or DESC, got {raw!r}")
    return raw.upper()


def parse_bool(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise ApiError(400, f"'{name}' must be true or false, got {raw!r}")
    return raw == "true"


def feedback_by_message(store: Any) -> dict[str, dict[str, Any]]:
    """The latest feedback of each message."""
    out: dict[str, dict[str, Any]] = {}
    for item in store.all(FEEDBACK_KIND):
        out[item["messageId"]] = item
    return out


def _filters(request: Request, *, listing: bool) -> list[Callable[[dict[str, Any]], bool]]:
    out: list[Callable[[dict[str, Any]], bool]] = []
    chat_types = multi(request, "chatType", CHAT_TYPES)
    if chat_types and not (listing and CHAT_TYPE_IGNORED.on(request)):
        out.append(lambda m: m.get("chatType") in chat_types)
    names = ["chatId", "sessionId", "memoryType"] + (["messageId"] if listing else [])
    if listing and SESSION_ID_IGNORED.on(request):
        names.remove("sessionId")
    if listing and CHAT_ID_IGNORED.on(request):
        names.remove("chatId")
    if listing and MESSAGE_ID_IGNORED.on(request):
        names.remove("messageId")
    if not listing and DELETE_IGNORES_CHAT_ID.on(request):
        names.remove("chatId")
    for name in names:
        value = request.query_params.get(name)
        if value is not None:
            field = "id" if name == "messageId" else name
            out.append(lambda m, f=field, v=value: m.get(f) == v)
    out += date_filters(request)
    ratings = multi(request, "feedbackType", RATINGS)
    if ratings:
        rated = feedback_by_message(request.app.state.store)
        out.append(lambda m: (rated.get(m["id"]) or {}).get("rating") in ratings)
    return out


async def list_messages(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    filters = _filters(request, listing=True)
    order = parse_order(request) or "ASC"
    attach = parse_bool(request, "feedback")
    store = request.app.state.store
    messages = [m for m in store.where(KIND, chatflowid=flow["id"]) if all(f(m) for f in filters)]
    if attach and not FEEDBACK_NOT_ATTACHED.on(request):
        rated = feedback_by_message(store)
        messages = [{**m, "feedback": rated.get(m["id"])} for m in messages]
    if MESSAGES_NOT_STORED.on(request):
        messages = []
    messages.sort(key=created, reverse=order == "DESC" and not ORDER_IGNORED.on(request))
    return ok(messages)


async def delete_messages(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    filters = _filters(request, listing=False)
    parse_bool(request, "hardDelete")  # validated; there is no external memory to clear
    store = request.app.state.store
    doomed = [m for m in store.where(KIND, chatflowid=flow["id"]) if all(f(m) for f in filters)]
    doomed_ids = {m["id"] for m in doomed}
    for message in doomed:
        store.delete(KIND, message["id"])
    if not DELETE_KEEPS_FEEDBACK.on(request):
        for item in store.all(FEEDBACK_KIND):
            if item["messageId"] in doomed_ids:
                store.delete(FEEDBACK_KIND, item["id"])
    return ok({"raw": [], "affected": 0 if AFFECTED_ZERO.on(request) else len(doomed)})


routes = [
    Route("/api/v1/chatmessage/{id}", list_messages, methods=["GET"]),
    Route("/api/v1/chatmessage/{id}", delete_messages, methods=["DELETE"]),
]
