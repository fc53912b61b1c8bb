"""Feedback (ratings) on chat messages: create, list per chatflow, update. Public routes.

A feedback row lives as long as its message: deleting messages deletes their feedback
(chatmessages.delete_messages); a feedback whose message is gone (its chatflow was deleted)
is not found.
"""
from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import chatflows, chatmessages
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, json_body, ok

KIND = chatmessages.FEEDBACK_KIND
CREATE_FIELDS = ("messageId", "rating", "content", "chatId", "chatflowid")
UPDATE_FIELDS = ("rating", "content")

UPDATE_NOT_PERSISTED = fault(
    "feedback-update-not-persisted",
    "PUT /feedback/{id} answers {status: OK} but does not store the change.",
    caught_by=["feedback/test_feedback_update.py::test_update_persists"],
)
LIST_IGNORES_CHAT_ID = fault(
    "feedback-list-ignores-chatid",
    "GET /feedback/{chatflowId}?chatId=X lists the feedback of every chat.",
    caught_by=["feedback/test_feedback_list.py::test_list_filters_by_chat_id"],
)
LIST_ORDER_IGNORED = fault(
    "feedback-order-ignored",
    "GET /feedback/{chatflowId} ignores order=DESC and sortOrder=desc (always oldest first).",
    caught_by=[
        "feedback/test_feedback_list.py::test_list_order_desc_is_newest_first",
        "feedback/test_feedback_list.py::test_list_sort_order_desc_is_newest_first",
    ],
)
INCONSISTENT_ACCEPTED = fault(
    "feedback-inconsistent-accepted",
    "POST /feedback accepts a chatId/chatflowid that differs from the rated message's.",
    caught_by=[
        "feedback/test_feedback_create.py::test_create_with_another_chat_id_is_400",
        "feedback/test_feedback_create.py::test_create_with_another_chatflow_id_is_400",
    ],
)
RATING_NOT_VALIDATED = fault(
    "feedback-rating-not-validated",
    "POST/PUT /feedback accept any rating string (and a missing rating on create).",
    caught_by=[
        "feedback/test_feedback_create.py::test_create_without_rating_is_rejected",
        "feedback/test_feedback_create.py::test_create_with_unknown_rating_is_rejected",
        "feedback/test_feedback_update.py::test_update_with_unknown_rating_is_rejected",
    ],
)
UPDATE_REPLACES = fault(
    "feedback-update-replaces",
    "PUT /feedback/{id} replaces the feedback: fields not sent are cleared.",
    caught_by=["feedback/test_feedback_update.py::test_update_of_content_keeps_rating"],
)
CHAT_NOT_FROM_MESSAGE = fault(
    "feedback-chat-not-from-message",
    "A feedback created without chatId/chatflowid stores null ones instead of the message's.",
    caught_by=["feedback/test_feedback_create.py::test_create_takes_chat_and_chatflow_from_the_message"],
)
LONE_DATE_IGNORED = fault(
    "feedback-lone-date-ignored",
    "GET /feedback/{chatflowId} applies startDate/endDate only when both are given.",
    caught_by=[
        "feedback/test_feedback_list.py::test_list_start_date_alone_leaves_out_older",
        "feedback/test_feedback_list.py::test_list_end_date_alone_leaves_out_newer",
    ],
)


def _check_fields(request: Request, body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise ApiError(400, f"Unknown field(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}")
    for name in allowed:
        if name == "rating":
            continue
        if name in body and not isinstance(body[name], str):
            raise ApiError(400, f"'{name}' must be a string")
    if "rating" in body and not RATING_NOT_VALIDATED.on(request) and body["rating"] not in chatmessages.RATINGS:
        raise ApiError(400, f"'rating' must be one of {', '.join(chatmessages.RATINGS)}, got {body['rating']!r}")


async def create_feedback(request: Request) -> Response:
    body = await json_body(request)
    _check_fields(request, body, CREATE_FIELDS)
    message_id = body.get("messageId")
    if not message_id:
        raise ApiError(400, "Message ID is required")
    if "rating" not in body and not RATING_NOT_VALIDATED.on(request):
        raise ApiError(400, "'rating' is required")
    store = request.app.state.store
    message = store.get(chatmessages.KIND, message_id)
    if message is None:
        raise ApiError(404, f"Message with ID {message_id} not found")
    checks = [("chatId", "chatId", body.get("chatId")), ("chatflowid", "chatflowid", body.get("chatflowid")),
              ("chatflowid", "chatflow id in the path", request.path_params["id"])]
    if not INCONSISTENT_ACCEPTED.on(request):
        for field, what, sent in checks:
            if sent is not None and sent != message[field]:
                raise ApiError(400, f"Inconsistent {what}: message {message_id} belongs to {field} {message[field]}, not {sent}")
    item = {
        "id": str(uuid.uuid4()),
        "chatflowid": body.get("chatflowid") if CHAT_NOT_FROM_MESSAGE.on(request) else message["chatflowid"],
        "chatId": body.get("chatId") if CHAT_NOT_FROM_MESSAGE.on(request) else message["chatId"],
        "messageId": message_id,
        "rating": body.get("rating"),
        "content": body.get("content"),
        "createdDate": now_iso(),
    }
    store.insert(KIND, item)
    return ok(item)


async def list_feedback(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    chat_id = request.query_params.get("chatId")
    order = chatmessages.parse_order(request)
    sort_order = request.query_params.get("sortOrder")
    if sort_order is not None and sort_order not in ("asc", "desc"):
        raise ApiError(400, f"'sortOrder' must be asc or desc, got {sort_order!r}")
    # both spellings are valid input; when both are sent, `order` (what Flowise reads) wins
    descending = (order or (sort_order or "asc").upper()) == "DESC" and not LIST_ORDER_IGNORED.on(request)
    filters = chatmessages.date_filters(request, both_or_none=LONE_DATE_IGNORED.on(request))
    if chat_id is not None and not LIST_IGNORES_CHAT_ID.on(request):
        filters.append(lambda f: f["chatId"] == chat_id)
    items = [f for f in request.app.state.store.where(KIND, chatflowid=flow["id"]) if all(c(f) for c in filters)]
    items.sort(key=chatmessages.created, reverse=descending)
    return ok(items)


async def update_feedback(request: Request) -> Response:
    store = request.app.state.store
    feedback_id = request.path_params["id"]
    item = store.get(KIND, feedback_id)
    if item is None or store.get(chatmessages.KIND, item["messageId"]) is None:
        raise ApiError(404, f"Feedback with ID {feedback_id} not found")
    body = await json_body(request)
    _check_fields(request, body, UPDATE_FIELDS)
    if UPDATE_REPLACES.on(request):
        item = {**item, "rating": None, "content": None}
    updated = {**item, **body}
    if not UPDATE_NOT_PERSISTED.on(request):
        store.replace(KIND, updated)
    return ok({"status": "OK"})


routes = [
    Route("/api/v1/feedback/{id}", create_feedback, methods=["POST"]),
    Route("/api/v1/feedback/{id}", list_feedback, methods=["GET"]),
    Route("/api/v1/feedback/{id}", update_feedback, methods=["PUT"]),
]
