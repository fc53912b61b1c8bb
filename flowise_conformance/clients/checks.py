"""Checks over what an official SDK gave back (``SdkCall``); each raises ConformanceFailure.

    expect_answer(call)           the call returned a non-streamed JSON answer (a dict)
    stream_events(call)           the call streamed, ended, and every yielded item is Flowise's
                                  {"event": name, "data": payload} (the Python SDK yields JSON text:
                                  it is parsed here, as its users must)
    reported_status(call)         the HTTP status the SDK reports an error with, the way each SDK does
    streamed_text(events)         the ``token`` payloads joined
"""
from __future__ import annotations

import json
import re
from typing import Any

from flowise_conformance.checks.core import ConformanceFailure
from flowise_conformance.clients import RAISED, RETURNED, TIMEOUT, SdkCall
from flowise_conformance.sse import FlowiseEvent

_JS_HTTP_ERROR = re.compile(r"HTTP error! status: (\d{3})")  # what flowise-sdk throws on a non-2xx stream


def _settled(call: SdkCall, what: str) -> None:
    if call.outcome == TIMEOUT:
        raise ConformanceFailure(f"The {call.sdk} call never finished", what, call.describe(),
                                 hint="the target kept the request open: an SDK user's call hangs")


def expect_answer(call: SdkCall) -> dict[str, Any]:
    """The SDK returned one JSON object (the non-streamed prediction answer)."""
    what = "a JSON answer object"
    _settled(call, what)
    if call.outcome != RETURNED or call.streamed or not isinstance(call.value, dict):
        raise ConformanceFailure(f"The {call.sdk} gave no prediction answer", what, call.describe())
    return call.value


def stream_events(call: SdkCall) -> list[FlowiseEvent]:
    """The SDK streamed to the end; every item it yielded is a Flowise event envelope."""
    what = "a stream of Flowise events, read to its end"
    _settled(call, what)
    if call.outcome != RETURNED:
        raise ConformanceFailure(f"The {call.sdk} failed while streaming", what, call.describe())
    if not call.streamed:
        raise ConformanceFailure(f"The {call.sdk} did not stream", what, call.describe(),
                                 hint="the SDK streams only when GET /chatflows-streaming/{id} says isStreaming: true")
    events = []
    for index, item in enumerate(call.yielded):
        value = item
        if isinstance(item, str):
            try:
                value = json.loads(item)
            except ValueError as exc:
                raise ConformanceFailure(
                    f"Item {index} the {call.sdk} yielded is not JSON",
                    'each yielded item is one event\'s JSON {"event": <name>, "data": <payload>}',
                    f"{item[:200]!r} ({exc}); all items: {call.yielded[:8]!r}",
                    hint="the SDK reads one event per 'data:' line: an event's JSON must be on one line",
                ) from None
        if not isinstance(value, dict) or set(value) != {"event", "data"} or not isinstance(value["event"], str):
            raise ConformanceFailure(f"Item {index} the {call.sdk} yielded is not a Flowise event",
                                     '{"event": <name>, "data": <payload>}', repr(item)[:300])
        events.append(FlowiseEvent(value["event"], value["data"]))
    if not events:
        raise ConformanceFailure(f"The {call.sdk} yielded no event", what, call.describe())
    return events


def streamed_text(events: list[FlowiseEvent]) -> str:
    return "".join(e.data for e in events if e.name == "token" and isinstance(e.data, str))


def reported_status(call: SdkCall) -> int | None:
    """The HTTP status of the error, as the SDK reports it to its user.

    Python SDK: it raises ``requests.HTTPError`` (``response.status_code``). JS SDK: a non-streamed
    call resolves with the error body (``statusCode``); a streamed one rejects with
    ``Error("HTTP error! status: N")``.
    """
    if call.outcome == RAISED:
        if call.status is not None:
            return call.status
        match = _JS_HTTP_ERROR.search(call.error or "")
        return int(match.group(1)) if match else None
    if call.outcome == RETURNED and not call.streamed and isinstance(call.value, dict):
        status = call.value.get("statusCode")
        return status if isinstance(status, int) and not isinstance(status, bool) else None
    return None
