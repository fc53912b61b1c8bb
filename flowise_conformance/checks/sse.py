"""Checks over a streamed prediction: headers, strict framing, Flowise's event grammar.

The stream is read with ``flowise_conformance.sse.read_events`` (strict WHATWG parser, total
and per-event timeouts), so a stalled or endless stream ends the read in bounded time and
the checks below report it as a failure instead of hanging.

    open_stream(client, path, body, target)   context manager -> StreamedAnswer (headers + StreamResult)
    expect_event_stream(response)             200 and Content-Type text/event-stream
    expect_no_cache(response)                 Cache-Control carries no-cache (or no-store)
    expect_complete(result)                   the server closed the stream (no timeout, no cut)
    expect_clean_framing(result)              no framing problem (invalid UTF-8, unterminated event)
    flowise_events(result)                    every event's data is Flowise's JSON envelope
    grammar_problems(events)                  Flowise's event grammar and order, as messages
    expect_grammar(events)                    ... raised as a ConformanceFailure
    expect_end_last(events)                   the last event is ``end`` with ``"[DONE]"``
    token_text(events)                        the concatenated ``token`` payloads

Flowise's grammar (research notes C.5, spec ``StreamEventName``): every event's name is one of
the spec's names; ``start`` (at most once) comes before every ``token`` (its data repeats the
first token, so it is not part of the text); ``metadata`` (at most once) comes after the last
``token``; ``error`` is followed by nothing but ``end``; ``end`` comes exactly once, last, with
data ``"[DONE]"``. Other known events (agentflow progress, sourceDocuments, usedTools, ...) may
appear anywhere before ``end``. Comments (``:heartbeat``) are not events and are ignored.
"""
from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import httpx

from flowise_conformance.bodies import media_type
from flowise_conformance.checks.core import ConformanceFailure, describe
from flowise_conformance.config import Target
from flowise_conformance.sse import FlowiseEvent, StreamOutcome, StreamResult, decode_flowise, read_events

END_DATA = "[DONE]"
# Used when the spec cannot be read; the spec's StreamEventName enum is the source.
_FALLBACK_NAMES = (
    "start", "token", "thinking", "sourceDocuments", "usedTools", "calledTools", "tool", "fileAnnotations",
    "artifacts", "agentReasoning", "nextAgent", "agentFlowEvent", "nextAgentFlow", "agentFlowExecutedData",
    "action", "usageMetadata", "metadata", "error", "abort", "end", "tts_start", "tts_data", "tts_end",
    "tts_abort", "agent_trace",
)


@lru_cache(maxsize=1)
def known_event_names() -> frozenset[str]:
    """The event names the spec allows (components/schemas/StreamEventName)."""
    try:
        from flowise_conformance.spec import component_schema

        names = component_schema("StreamEventName").get("enum") or []
    except Exception:  # noqa: BLE001 - fall back to the research notes' list
        names = []
    return frozenset(names or _FALLBACK_NAMES)


@dataclass
class StreamedAnswer:
    """What one streamed request produced: the response (headers, status) and what was read."""

    response: httpx.Response
    result: StreamResult | None  # None when the answer was not an event stream (body read instead)
    seconds_to_headers: float

    @property
    def status(self) -> int:
        return self.response.status_code


def _media_type(response: httpx.Response) -> str:
    return media_type(response.headers.get("content-type"))


@contextmanager
def open_stream(client: Any, path: str, target: Target, *, json: Any = None,
                total_timeout: float | None = None, **kwargs: Any) -> Iterator[StreamedAnswer]:
    """POST ``json`` to ``path`` as a stream; read it within the target's bounds.

    An event stream is read with ``read_events`` (total and per-event timeouts, size caps);
    any other answer's body is read whole within the total timeout and the client's size cap. A server that sends no status line within the per-event
    timeout is a ConformanceFailure (Flowise's "never answers" case), never a hang.
    """
    t = target.timeouts
    headers = {"Accept-Encoding": "identity", **kwargs.pop("headers", {})}
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            response = stack.enter_context(
                client.stream("POST", path, json=json, read_timeout=t.stream_event, headers=headers, **kwargs))
            took = time.monotonic() - started
            if _media_type(response) == "text/event-stream":
                result: StreamResult | None = read_events(
                    response, total_timeout=total_timeout or t.stream_total, event_timeout=t.stream_event)
            else:  # within the stream's total time and the client's size cap
                client.read_body(response, total_timeout or t.stream_total)
                result = None
        except httpx.TransportError as exc:  # the client's TargetMisbehaved included
            raise ConformanceFailure(
                "No complete answer: the server went silent or broke the connection",
                f"a status line, headers and body, each part within the per-event timeout ({t.stream_event} s)",
                f"{type(exc).__name__} after {time.monotonic() - started:.1f} s for POST {path}: {exc}",
                hint='Flowise 3.1.4 never answers a request with "streaming": true that fails before its stream starts',
            ) from None
        yield StreamedAnswer(response, result, took)


def expect_event_stream(answer: StreamedAnswer) -> None:
    response = answer.response
    if response.status_code != 200 or _media_type(response) != "text/event-stream":
        raise ConformanceFailure(
            "A streamed prediction is not an event stream",
            "200 with Content-Type: text/event-stream",
            describe(response),
        )


def expect_no_cache(answer: StreamedAnswer) -> None:
    value = answer.response.headers.get("cache-control", "")
    directives = {d.strip().split("=", 1)[0].lower() for d in value.split(",") if d.strip()}
    if not directives & {"no-cache", "no-store"}:
        raise ConformanceFailure(
            "An event stream may be cached",
            "Cache-Control: no-cache",
            f"Cache-Control: {value!r}" if value else "no Cache-Control header",
        )


def _require_stream(answer: StreamedAnswer) -> StreamResult:
    expect_event_stream(answer)
    assert answer.result is not None
    return answer.result


def expect_complete(answer: StreamedAnswer) -> StreamResult:
    """The server closed the stream by itself, within the total and per-event timeouts."""
    result = _require_stream(answer)
    if result.outcome != StreamOutcome.COMPLETE:
        names = [_name(e.data) for e in result.events[-5:]]
        raise ConformanceFailure(
            "The event stream did not end",
            "the server ends the stream after its last event",
            f"{result.outcome}: {result.detail} ({len(result.events)} events, {result.bytes_read} bytes, "
            f"{result.elapsed:.1f} s; last events {names})",
        )
    return result


def expect_clean_framing(answer: StreamedAnswer) -> StreamResult:
    """The bytes are a well-formed event stream: valid UTF-8, every event closed by a blank line."""
    result = expect_complete(answer)
    if result.parser.problems:
        raise ConformanceFailure(
            "The event stream is not well framed",
            "UTF-8 text whose every event ends with a blank line (WHATWG event-stream format)",
            "; ".join(result.parser.problems[:5]) + f" (line endings seen: {sorted(result.parser.line_endings)!r},"
            f" {len(result.events)} events dispatched)",
        )
    if not result.events:
        raise ConformanceFailure("The event stream carries no event", "at least one event", "no event was dispatched")
    return result


def _name(data: str) -> str:
    try:
        from flowise_conformance.sse import Event

        return decode_flowise(Event(data=data)).name
    except ValueError:
        return data[:30]


def flowise_events(answer: StreamedAnswer) -> list[FlowiseEvent]:
    """Every event's data decoded as Flowise's {"event": name, "data": payload} JSON."""
    result = expect_complete(answer)
    decoded = []
    for index, event in enumerate(result.events):
        try:
            decoded.append(decode_flowise(event))
        except ValueError as exc:
            raise ConformanceFailure(
                f"Event {index} of the stream is not Flowise's JSON envelope",
                'data: {"event": <name>, "data": <payload>} as strict JSON',
                str(exc),
            ) from None
    return decoded


def grammar_problems(events: list[FlowiseEvent]) -> list[str]:
    """Everything that breaks Flowise's event grammar and order (empty when none)."""
    problems: list[str] = []
    names = [e.name for e in events]
    known = known_event_names()
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        problems.append(f"unknown event name(s) {unknown}")
    if not names:
        return ["no event at all"]
    ends = [i for i, n in enumerate(names) if n == "end"]
    if not ends:
        problems.append(f"no 'end' event (last event: {names[-1]!r})")
    else:
        if len(ends) > 1:
            problems.append(f"'end' sent {len(ends)} times")
        if ends[0] != len(names) - 1:
            problems.append(f"events after 'end': {names[ends[0] + 1:][:5]}")
        if events[ends[-1]].data != END_DATA:
            problems.append(f"'end' carries {events[ends[-1]].data!r}, not {END_DATA!r}")
    tokens = [i for i, n in enumerate(names) if n == "token"]
    starts = [i for i, n in enumerate(names) if n == "start"]
    if len(starts) > 1:
        problems.append(f"'start' sent {len(starts)} times")
    if starts and tokens and starts[0] > tokens[0]:
        problems.append(f"'start' (event {starts[0]}) comes after the first 'token' (event {tokens[0]})")
    metadata = [i for i, n in enumerate(names) if n == "metadata"]
    if len(metadata) > 1:
        problems.append(f"'metadata' sent {len(metadata)} times")
    if metadata and tokens and metadata[0] < tokens[-1]:
        problems.append(f"'token' (event {tokens[-1]}) after 'metadata' (event {metadata[0]})")
    for i in (i for i, n in enumerate(names) if n == "error"):
        after = [n for n in names[i + 1:] if n != "end"]
        if after:
            problems.append(f"events after 'error' other than 'end': {after[:5]}")
            break
    for i in tokens:
        if not isinstance(events[i].data, str):
            problems.append(f"'token' (event {i}) carries {type(events[i].data).__name__}, not a string")
            break
    return problems


def expect_grammar(events: list[FlowiseEvent]) -> None:
    problems = grammar_problems(events)
    if problems:
        raise ConformanceFailure(
            "The stream breaks Flowise's event grammar",
            "start? (token | other known events)* metadata? (error)? end=\"[DONE]\", nothing after end",
            "; ".join(problems) + f" -- events: {summarize(events)}",
        )


def expect_end_last(events: list[FlowiseEvent]) -> None:
    if not events or events[-1].name != "end" or events[-1].data != END_DATA:
        last = f"{events[-1].name!r} with {events[-1].data!r}" if events else "no event"
        raise ConformanceFailure(
            "The stream does not end with the 'end' event",
            f'last event {{"event": "end", "data": "{END_DATA}"}}',
            f"last event: {last}; events: {summarize(events)}",
        )


def token_text(events: list[FlowiseEvent]) -> str:
    """The answer as the stream spells it: the ``token`` payloads joined (``start`` excluded)."""
    return "".join(e.data for e in events if e.name == "token" and isinstance(e.data, str))


def summarize(events: list[FlowiseEvent], limit: int = 12) -> str:
    names = [e.name for e in events]
    shown = names if len(names) <= limit else names[: limit - 2] + ["..."] + names[-2:]
    return f"{len(names)} events {shown}"
