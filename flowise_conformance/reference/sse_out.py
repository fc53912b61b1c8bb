"""Server side of Flowise's SSE framing, the streamed prediction, and the SSE faults.

Framing, as Flowise writes it: ``message:\\ndata:{"event":..,"data":..}\\n\\n`` per event (an
unknown ``message`` field, no space after ``data:``), ``:heartbeat\\n\\n`` comments between
events. The reference stream of an answer ``text``:

    start <first token>, :heartbeat, token x N (a short pause before each), metadata, end "[DONE]"

A flow that fails while running (``planned_failure``: a Custom Function node whose code is
``throw new Error("...")``, the LLM-free failing agentflow the suites use on real Flowise too)
is answered 500 JSON, or, streamed, with agentflow progress events, then ``error``, then ``end``.

Only one stream per chatflow runs at a time (a per-chatflow lock), which is what the
``sse-disconnect-wedges`` fault breaks: a client that disconnects mid-stream leaks the lock.
"""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any, AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from flowise_conformance.reference import client_framing, echo_model
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
HEARTBEAT = b":heartbeat\n\n"
DONE = "[DONE]"
TOKEN_PAUSE = 0.002  # seconds before each token: streams take time, as real ones do
STALL_HEARTBEAT = 0.5  # seconds between the comments of a stalled stream

BROKEN_LINE_ENDINGS = fault(
    "sse-broken-line-endings",
    "Streamed events end with a single line ending instead of a blank line, so no event is ever dispatched.",
    caught_by=["contracts/test_sse.py::test_stream_is_well_framed"],
)
TOKENS_DIFFER = fault(
    "sse-tokens-differ",
    "The streamed tokens drop the last piece of the answer: they no longer add up to the JSON text.",
    caught_by=["contracts/test_sse.py::test_stream_tokens_add_up_to_the_json_text"],
)
STALLED = fault(
    "sse-stalled",
    "A streamed prediction stalls after its first event: heartbeat comments forever, no more events, no end.",
    caught_by=["contracts/test_sse.py::test_stream_ends_with_end_done"],
)
DISCONNECT_WEDGES = fault(
    "sse-disconnect-wedges",
    "A client that disconnects mid-stream leaves the chatflow's stream lock held: later streams never start.",
    caught_by=["contracts/test_sse.py::test_disconnect_mid_stream_leaves_the_server_healthy"],
)
STREAM_IGNORED = fault(
    "sse-ignored",
    'A prediction with "streaming": true is answered JSON although GET /chatflows-streaming says isStreaming.',
    caught_by=["contracts/test_sse.py::test_streaming_flag_agrees_with_prediction[agentflow]"],
)

_THROW = re.compile(r"""^\s*throw\s+new\s+Error\(\s*(["'])(?P<message>[^"'\\]*)\1\s*\)\s*;?\s*$""")


def frame(event: str, data: Any, *, line_end: str = "\n", blank_line: bool = True) -> bytes:
    payload = json.dumps({"event": event, "data": data}, separators=(",", ":"))
    return f"message:{line_end}data:{payload}{line_end}{line_end if blank_line else ''}".encode()


class _Stream(StreamingResponse):
    """A streaming response whose generator is always closed when the response ends (disconnects too)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            closer = getattr(self.body_iterator, "aclose", None)
            if closer is not None:
                await closer()


def _lock(request: Request) -> asyncio.Lock:
    state = request.app.state
    locks = getattr(state, "fc_stream_locks", None)
    if locks is None:
        locks = state.fc_stream_locks = {}
    return locks.setdefault(request.path_params.get("id", ""), asyncio.Lock())


def _framer(request: Request):  # noqa: ANN202 - a frame function
    broken = BROKEN_LINE_ENDINGS.on(request)
    reframe = client_framing.reframer(request)  # client-only faults (reference/client_framing.py)

    def make(event: str, data: Any) -> bytes:
        return reframe(frame(event, data, blank_line=not broken))

    return make


def _respond(request: Request, body: AsyncIterator[bytes]) -> Response:
    lock = _lock(request)
    wedge = DISCONNECT_WEDGES.on(request)

    async def guarded() -> AsyncIterator[bytes]:
        await lock.acquire()
        completed = False
        try:
            async for chunk in body:
                yield chunk
            completed = True
        finally:
            if completed or not wedge:
                lock.release()

    return _Stream(guarded(), media_type="text/event-stream", headers=SSE_HEADERS)


def stream_prediction(request: Request, text: str, metadata: dict[str, Any], *, json_answer: dict[str, Any],
                      end: bool = True) -> Response:
    """The streamed answer to a prediction whose answer is ``text``."""
    if STREAM_IGNORED.on(request):
        return JSONResponse(json_answer)
    parts = echo_model.tokens(text)
    if TOKENS_DIFFER.on(request):
        parts = parts[:-1] if len(parts) > 1 else [parts[0][:-1]]
    make = _framer(request)
    stalled = STALLED.on(request)

    async def events() -> AsyncIterator[bytes]:
        yield make("start", parts[0] if parts else "")
        yield HEARTBEAT
        if stalled:
            while True:
                await asyncio.sleep(STALL_HEARTBEAT)
                yield HEARTBEAT
        for part in parts:
            await asyncio.sleep(TOKEN_PAUSE)
            yield make("token", part)
        yield make("metadata", metadata)
        if end:
            yield make("end", DONE)

    return _respond(request, events())


# ---------------------------------------------------------------- failing flows


def planned_failure(flow_data: Any) -> str | None:
    """The error a flow raises when run: a Custom Function node whose code is ``throw new Error("msg")``."""
    try:
        graph = json.loads(flow_data) if isinstance(flow_data, str) else None
    except ValueError:
        return None
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        data = node.get("data") if isinstance(node, dict) else None
        if not isinstance(data, dict) or data.get("name") != "customFunctionAgentflow":
            continue
        code = (data.get("inputs") or {}).get("customFunctionJavascriptFunction")
        match = _THROW.match(code) if isinstance(code, str) else None
        if match:
            return f"Custom Function failed: Error: {match.group('message')}"
    return None


def failed_prediction(request: Request, message: str, *, streaming: bool, end: bool = True) -> Response:
    """A flow failed while running: 500 JSON, or, streamed, progress events then ``error`` then ``end``."""
    if not streaming:
        raise ApiError(500, message)
    make = _framer(request)

    async def events() -> AsyncIterator[bytes]:
        yield make("agentFlowEvent", "INPROGRESS")
        yield HEARTBEAT
        await asyncio.sleep(TOKEN_PAUSE)
        yield make("nextAgentFlow", {"nodeId": "customFunctionAgentflow_0", "nodeLabel": "Custom Function",
                                     "status": "ERROR", "error": message})
        yield make("agentFlowEvent", "ERROR")
        yield make("error", message)
        if end:
            yield make("end", DONE)

    return _respond(request, events())
