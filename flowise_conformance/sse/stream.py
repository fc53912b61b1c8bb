"""Reading an event stream from a live httpx response with real bounds (total, per event, size, count).

A hostile or hung server must not hold the suite: every way reading can end is a StreamOutcome.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowise_conformance.sse.parser import _MIB, Event, SseParser

if TYPE_CHECKING:
    import httpx


class StreamOutcome(str, enum.Enum):
    """Why ``read_events`` stopped reading; compares equal to its value."""

    COMPLETE = "complete"  # the server closed the stream
    STOPPED = "stopped"  # the caller's stop_after events were read; the rest was left unread
    TOTAL_TIMEOUT = "total_timeout"  # the overall deadline passed
    EVENT_TIMEOUT = "event_timeout"  # no event for event_timeout, bytes or not
    TOO_MANY_EVENTS = "too_many_events"  # more than max_events events
    TOO_LARGE = "too_large"  # more than max_bytes bytes
    TRANSPORT_ERROR = "transport_error"  # connection reset, broken chunking, ...

    def __str__(self) -> str:
        return self.value


@dataclass
class StreamResult:
    """What ``read_events`` saw. ``elapsed`` is in seconds since it was called."""

    events: list[Event]
    parser: SseParser
    outcome: StreamOutcome
    elapsed: float
    bytes_read: int
    detail: str


def read_events(
    response: httpx.Response,
    *,
    total_timeout: float,
    event_timeout: float,
    max_events: int = 10_000,
    max_bytes: int = 16 * _MIB,
    max_line: int = 4 * _MIB,
    stop_after: int | None = None,
    parser: SseParser | None = None,
) -> StreamResult:
    """Read the event stream of a streaming ``httpx.Response`` within firm bounds.

    The caller must open the request with a read timeout no longer than
    ``event_timeout``, e.g.::

        timeout = httpx.Timeout(5.0, read=event_timeout)
        with client.stream("POST", url, json=body, timeout=timeout) as response:
            result = read_events(response, total_timeout=60, event_timeout=event_timeout)

    A ``ValueError`` is raised otherwise, since a silent server would then block
    forever. Each read of ``response.iter_raw()`` then blocks at most
    ``event_timeout``, and the wall clock is checked after every chunk, so the call
    returns within ``total_timeout + event_timeout`` even when a server trickles a
    byte at a time. (Only network transports enforce the read timeout; a mock
    transport's stream is trusted.)

    Stops with ``complete`` when the server closes the stream (then, and only
    then, ``parser.close()`` runs); ``total_timeout``; ``event_timeout`` when no
    event was dispatched for ``event_timeout`` seconds, even if comments or
    partial lines keep arriving; ``too_many_events`` (the first ``max_events``
    events are kept); ``too_large`` (only the first ``max_bytes`` bytes are parsed,
    ``bytes_read`` counts all received; or a line longer than ``max_line`` characters);
    ``stopped`` once ``stop_after`` events were read (a client that hangs up early);
    ``transport_error``. The response is
    closed in every case. Raw bytes are read, so a ``Content-Encoding`` is not
    undone: ask for ``Accept-Encoding: identity``.
    """
    for name, value in (("total_timeout", total_timeout), ("event_timeout", event_timeout)):
        if not value > 0 or math.isinf(value):
            raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    if min(max_events, max_bytes, max_line, stop_after or 1) < 1:
        raise ValueError(f"max_events, max_bytes, max_line and stop_after must be >= 1, "
                         f"got {max_events}, {max_bytes}, {max_line}, {stop_after}")
    read_timeout = _read_timeout(response, event_timeout)

    import httpx  # at call time: the parser itself needs no HTTP library

    parser = parser if parser is not None else SseParser(max_line=max_line)
    events: list[Event] = []
    received = 0
    start = last_event = time.monotonic()
    deadline = start + total_timeout
    outcome = StreamOutcome.COMPLETE
    detail = "the server closed the stream"
    chunks = response.iter_raw()
    try:
        for chunk in chunks:
            now = time.monotonic()
            received += len(chunk)
            over = received - max_bytes
            new = parser.feed(chunk[: len(chunk) - over] if over > 0 else chunk)
            if new:
                last_event = now
                events.extend(new)
            if len(events) > max_events:
                del events[max_events:]
                outcome = StreamOutcome.TOO_MANY_EVENTS
                detail = f"more than max_events={max_events} events"
                break
            if over > 0:
                outcome = StreamOutcome.TOO_LARGE
                detail = f"more than max_bytes={max_bytes} bytes"
                break
            if parser.overlong:
                outcome = StreamOutcome.TOO_LARGE
                detail = f"a line longer than max_line={parser.max_line} characters"
                break
            if stop_after is not None and len(events) >= stop_after:
                del events[stop_after:]
                outcome = StreamOutcome.STOPPED
                detail = f"stopped after {stop_after} event(s), as asked"
                break
            if now >= deadline:
                outcome = StreamOutcome.TOTAL_TIMEOUT
                detail = f"still open after total_timeout={total_timeout} s"
                break
            if now - last_event >= event_timeout:
                outcome = StreamOutcome.EVENT_TIMEOUT
                detail = (
                    f"no event for {now - last_event:.2f} s (event_timeout={event_timeout} s)"
                    " although bytes kept arriving"
                )
                break
        else:
            events.extend(parser.close())
    except httpx.TimeoutException:
        now = time.monotonic()
        if now >= deadline:
            outcome = StreamOutcome.TOTAL_TIMEOUT
            detail = f"still open after total_timeout={total_timeout} s"
        else:
            outcome = StreamOutcome.EVENT_TIMEOUT
            detail = (
                f"no bytes for the read timeout ({read_timeout} s), no event for"
                f" {now - last_event:.2f} s (event_timeout={event_timeout} s)"
            )
    except httpx.TransportError as exc:
        outcome = StreamOutcome.TRANSPORT_ERROR
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        if isinstance(chunks, Generator):
            chunks.close()
        response.close()
    return StreamResult(
        events=events,
        parser=parser,
        outcome=outcome,
        elapsed=time.monotonic() - start,
        bytes_read=received,
        detail=detail,
    )


def _read_timeout(response: httpx.Response, event_timeout: float) -> float | None:
    """The request's read timeout; refuse one that could block past event_timeout."""
    try:
        request = response.request
    except RuntimeError:  # a response built in memory, with no request
        return None
    timeouts = request.extensions.get("timeout") or {}
    read = timeouts.get("read")
    if read is None or read > event_timeout:
        raise ValueError(
            f"the request's read timeout is {read!r}; it must be at most event_timeout"
            f"={event_timeout}: open it with timeout=httpx.Timeout(connect, read=event_timeout)"
        )
    return float(read)
