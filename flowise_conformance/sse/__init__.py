"""Strict parser of the WHATWG event-stream format: lenient parsers (sseclient, httpx-sse) silently repair framing errors, and a conformance suite must see them.

It follows the HTML Living Standard, "Server-sent events", sections "Parsing an event
stream" and "Interpreting an event stream", step by step, and records what a browser
would silently swallow.

Map of the package (one module per job; the names below are its public surface)::

    parser.SseParser     incremental: feed(bytes) -> [Event], close() -> [Event]
    ├── records          comments, unknown_fields, line_endings, bom, retry, last_event_id
    ├── problems         framing problems (strict mode): invalid UTF-8, stream ended inside an event
    └── overlong         a line passed max_line characters (it is dropped, not held)
    parser.Event         one dispatched event: type, data, id, retry, raw_lines
    parser.parse(bytes)  whole stream at once -> (events, parser)
    stream.read_events   drive a streaming httpx.Response with real bounds -> StreamResult
    stream.StreamOutcome complete | stopped | total_timeout | event_timeout | too_many_events
                         | too_large | transport_error
    flowise.decode_flowise Flowise's JSON envelope {"event": name, "data": payload} -> FlowiseEvent
"""
from __future__ import annotations

from flowise_conformance.sse.flowise import FlowiseEvent, decode_flowise
from flowise_conformance.sse.parser import END_INSIDE_EVENT, Event, SseParser, parse
from flowise_conformance.sse.stream import StreamOutcome, StreamResult, read_events

__all__ = [
    "END_INSIDE_EVENT",
    "Event",
    "FlowiseEvent",
    "SseParser",
    "StreamOutcome",
    "StreamResult",
    "decode_flowise",
    "parse",
    "read_events",
]
