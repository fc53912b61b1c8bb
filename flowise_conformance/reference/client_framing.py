"""A stream framing that every strict event-stream parser accepts and the official SDKs mis-read.

The fault ``sse-data-split`` writes each event's JSON over two ``data:`` lines, split after the
event name::

    message:
    data:{"event":"token",
    data:"data":" world"}

The WHATWG parser joins ``data`` lines with LF, so a browser, ``flowise_conformance.sse`` and every
check of ``suites/contracts/test_sse.py`` see ``{"event":"token",\\n"data":" world"}``: the same
JSON object, the same event. Both official SDKs read one event per ``data:`` line instead:
``flowise`` (Python) yields the two halves as separate strings, neither of them JSON;
``flowise-sdk`` (JS) calls ``JSON.parse`` on the first half and its iterator throws.
Only the client suite can catch it.
"""
from __future__ import annotations

from typing import Callable

from starlette.requests import Request

from flowise_conformance.reference.faults import fault

DATA_SPLIT = fault(
    "sse-data-split",
    "Each streamed event's JSON spans two 'data:' lines: valid SSE (joined with LF it is the same JSON), "
    "but the official SDKs read one event per line.",
    caught_by=[
        "clients/test_clients_sdk.py::test_sdk_stream_tokens_join_to_the_answer_text[python-sdk-own-agentflow]",
        "clients/test_clients_sdk.py::test_sdk_stream_tokens_join_to_the_answer_text[js-sdk-own-agentflow]",
    ],
)

_SPLIT_AT = b',"data":'


def split_data_line(frame: bytes) -> bytes:
    """``data:{"event":X,"data":Y}`` -> ``data:{"event":X,`` LF ``data:"data":Y}``; other lines unchanged."""
    lines = frame.split(b"\n")
    for i, line in enumerate(lines):
        at = line.find(_SPLIT_AT)
        if line.startswith(b"data:{") and at > 0:
            lines[i] = line[: at + 1] + b"\ndata:" + line[at + 1:]
    return b"\n".join(lines)


def reframer(request: Request) -> Callable[[bytes], bytes]:
    """What the SSE writer applies to each framed event for this request (the identity unless a fault is on)."""
    if DATA_SPLIT.on(request):
        return split_data_line
    return lambda frame: frame
