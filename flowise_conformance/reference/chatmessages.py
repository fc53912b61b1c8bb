"""Chat messages of a chatflow: list with filters, delete with filters."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import chatflows
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, ok

KIND = "chatmessage"

MESSAGES_NOT_STORED = fault(
    "chatmessages-empty",
    "GET /chatmessage/{id} answers an empty list although predictions were made.",
    caught_by=["prediction/test_prediction_basics.py::test_prediction_is_stored_as_two_messages"],
)


def _multi(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        if raw.startswith("["):
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise ApiError(400, f"'{name}' is neither a value nor a JSON list") from None
            values.extend(str(v) for v in parsed)
        else:
            values.append(raw)
    return values


def _date(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"'{name}' must be an ISO 8601 date, got {raw!r}") from None
    if value.tzinfo is None:
        from datetime import timezone

        value = value.replace(tzinfo=timezone.utc)
    return value


def _filters(request: Request) -> list[Callable[[dict[str, Any]], bool]]:
    out: list[Callable[[dict[str, Any]], bool]] = []
    chat_types = _multi(request, "chatType")
    if chat_types:
        out.append(lambda m: m.get("chatType") in chat_types)
    for name in ("chatId", "sessionId", "memoryType"):
        value = request.query_params.get(name)
        if value is not None:
            out.append(lambda m, n=name, v=value: m.get(n) == v)
    start, end = _date(request, "startDate"), _date(request, "endDate")
    if start:
        out.append(lambda m: _created(m) >= start)
    if end:
        out.append(lambda m: _created(m) <= end)
    return out


def _created(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(message["createdDate"].replace("Z", "+00:00"))


async def list_messages(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    filters = _filters(request)
    order = request.query_params.get("order", "ASC").upper()
    if order not in ("ASC", "DESC"):
        raise ApiError(400, "'order' must be ASC or DESC")
    messages = [m for m in request.app.state.store.where(KIND, chatflowid=flow["id"]) if all(f(m) for f in filters)]
    if request.query_params.get("feedback") == "true":
        ids = {f["messageId"] for f in request.app.state.store.all("feedback")}
        messages = [m for m in messages if m["id"] in ids]
    if MESSAGES_NOT_STORED.on(request):
        messages = []
    messages.sort(key=_created, reverse=order == "DESC")
    return ok(messages)


async def delete_messages(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    filters = _filters(request)
    store = request.app.state.store
    doomed = [m for m in store.where(KIND, chatflowid=flow["id"]) if all(f(m) for f in filters)]
    for message in doomed:
        store.delete(KIND, message["id"])
    return ok({"raw": [], "affected": len(doomed)})


routes = [
    Route("/api/v1/chatmessage/{id}", list_messages, methods=["GET"]),
    Route("/api/v1/chatmessage/{id}", delete_messages, methods=["DELETE"]),
]
