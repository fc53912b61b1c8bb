"""Self-tests of flowise_conformance.sse: the standard's own examples, framing edge cases,
Flowise's observed stream, and read_events' bounds against tiny loopback servers."""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from flowise_conformance.sse import (
    END_INSIDE_EVENT,
    Event,
    SseParser,
    StreamResult,
    decode_flowise,
    parse,
    read_events,
)

FLOWISE_STREAM = (Path(__file__).parent / "data" / "sse" / "flowise-3.1.4-chatflow.txt").read_bytes()

# The standard's examples ("Interpreting an event stream"), byte for byte.
STOCK_TICKER = b"data: YHOO\ndata: +2\ndata: 10\n\n"
FOUR_BLOCKS = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
TWO_EVENTS = b"data\n\ndata\ndata\n\ndata:"
IDENTICAL = b"data:test\n\ndata: test\n\n"


def _summary(parser: SseParser) -> tuple[object, ...]:
    return (parser.comments, parser.unknown_fields, parser.line_endings, parser.problems)


# --- the standard's examples -------------------------------------------------------


def test_stock_ticker_data_lines_are_joined_with_lf() -> None:
    """Spec example: three data lines give one message event with data "YHOO\\n+2\\n10"."""
    events, _ = parse(STOCK_TICKER)
    assert events == [Event(data="YHOO\n+2\n10", raw_lines=("data: YHOO", "data: +2", "data: 10"))]


def test_four_blocks_comment_fires_nothing_and_last_event_id_persists() -> None:
    """Spec example: the comment block fires nothing; ids "1" then "" (reset by a bare `id`),
    and the third event keeps "" and its second leading space."""
    events, parser = parse(FOUR_BLOCKS)
    assert [(e.data, e.id) for e in events] == [
        ("first event", "1"),
        ("second event", ""),
        (" third event", ""),
    ]
    assert parser.comments == [" test stream"]


def test_bare_data_lines_give_empty_and_newline_data_and_last_block_is_discarded() -> None:
    """Spec example: `data` alone is a data field with an empty value; `data`+`data` gives "\\n";
    the final `data:` has no blank line after it and is not dispatched."""
    events, parser = parse(TWO_EVENTS)
    assert [e.data for e in events] == ["", "\n"]
    assert parser.problems == [END_INSIDE_EVENT]


def test_data_colon_with_and_without_space_give_the_same_event() -> None:
    """Spec example: `data:test` and `data: test` fire identical events (one space is stripped)."""
    events, _ = parse(IDENTICAL)
    assert [(e.type, e.data, e.id) for e in events] == [("message", "test", None)] * 2


# --- lines ---------------------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_ending_alone_frames_events(eol: str) -> None:
    """CR, LF and CRLF each end a line, and the ending used is recorded."""
    stream = f"event: e{eol}data: a{eol}data: b{eol}{eol}".encode()
    events, parser = parse(stream)
    assert [(e.type, e.data) for e in events] == [("e", "a\nb")]
    assert parser.line_endings == {eol}


def test_mixed_line_endings_are_recorded_but_not_a_problem() -> None:
    """The standard allows any mix of CR, LF and CRLF; the parser records all three."""
    events, parser = parse(b"data: a\rdata: b\n\r\ndata: c\r\n\n")
    assert [e.data for e in events] == ["a\nb", "c"]
    assert parser.line_endings == {"\n", "\r", "\r\n"}
    assert parser.problems == []


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    """A CR ending one chunk and an LF starting the next are one CRLF, not CR + blank line."""
    parser = SseParser()
    assert parser.feed(b"data: a\r") == []
    assert [e.data for e in parser.feed(b"\ndata: b\r\n\r\n")] == ["a\nb"]
    assert parser.line_endings == {"\r\n"}


def test_cr_at_chunk_end_dispatches_without_waiting_for_next_chunk() -> None:
    """A blank line ended by CR dispatches at once; the parser does not hold the event back."""
    parser = SseParser()
    assert [e.data for e in parser.feed(b"data: a\r\r")] == ["a"]


@pytest.mark.parametrize(
    "stream",
    [STOCK_TICKER, FOUR_BLOCKS, TWO_EVENTS, IDENTICAL, FLOWISE_STREAM,
     b"\xef\xbb\xbfdata: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\r\n\r\nretry: 5\rdata: x\r\r",
     b"data: a\xffb\n\n\xe2\x82"],
    ids=["ticker", "four-blocks", "two-events", "identical", "flowise", "bom-multibyte-cr", "bad-utf8"],
)
def test_feeding_one_byte_at_a_time_gives_the_same_result(stream: bytes) -> None:
    """Chunk boundaries never change the events or what the parser records."""
    whole_events, whole = parse(stream)
    parser = SseParser()
    events = [e for i in range(len(stream)) for e in parser.feed(stream[i : i + 1])]
    events += parser.close()
    assert events == whole_events
    assert _summary(parser) == _summary(whole)


# --- decoding ----------------------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    """The UTF-8 decode strips a leading BOM, so the first line is a `data` field."""
    events, parser = parse(b"\xef\xbb\xbfdata: a\n\n")
    assert [e.data for e in events] == ["a"]
    assert parser.bom is True


def test_bom_is_stripped_only_once() -> None:
    """A second BOM is part of the field name, so `\\ufeffdata` is an unknown field."""
    events, parser = parse(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n")
    assert events == []
    assert parser.unknown_fields == ["\ufeffdata"]


def test_invalid_utf8_is_a_problem_with_its_byte_offset() -> None:
    """Invalid UTF-8 becomes U+FFFD (as in a browser) and, in strict mode, a problem."""
    events, parser = parse(b"data: a\xffb\n\n")
    assert [e.data for e in events] == ["a\ufffdb"]
    assert parser.problems == ["invalid UTF-8 at byte offset 7: b'\\xff'"]


def test_utf8_sequence_cut_by_end_of_stream_is_a_problem() -> None:
    """A multi-byte sequence left unfinished at EOF is invalid UTF-8, inside an unfinished line."""
    _, parser = parse(b"data: a\n\n\xe2\x82")
    assert parser.problems == [
        "invalid UTF-8 at byte offset 9: b'\\xe2\\x82' (the stream ended inside it)",
        END_INSIDE_EVENT,
    ]


def test_multibyte_character_split_across_chunks_is_not_a_problem() -> None:
    """A UTF-8 sequence split between two chunks is held back, then decoded whole."""
    parser = SseParser()
    events = parser.feed(b"data: \xe2") + parser.feed(b"\x82\xac\n\n")
    assert [e.data for e in events] == ["\u20ac"]
    assert parser.problems == []


def test_lenient_mode_records_no_problems() -> None:
    """With strict=False the parser behaves like a browser and records no framing problem."""
    _, parser = parse(b"data: \xff\n\ndata: b", strict=False)
    assert parser.problems == []


# --- fields ------------------------------------------------------------------------


def test_comments_are_collected() -> None:
    """Flowise's `:heartbeat` comment dispatches nothing and is recorded without the colon."""
    events, parser = parse(b":heartbeat\n\n:heartbeat\n\n")
    assert events == []
    assert parser.comments == ["heartbeat", "heartbeat"]


def test_retry_with_ascii_digits_sets_the_reconnection_time() -> None:
    """`retry: 1500` sets the stream's reconnection time and is reported on its event."""
    events, parser = parse(b"retry: 1500\ndata: x\n\n")
    assert events[0].retry == 1500
    assert parser.retry == 1500


@pytest.mark.parametrize("value", ["1.5", "-1", " 15", "1e3", "15ms", "", "\u0661\u0665", "\uff11\uff15"])
def test_retry_that_is_not_only_ascii_digits_is_ignored(value: str) -> None:
    """Only ASCII digits count: signs, spaces, units and other scripts' digits are ignored."""
    events, parser = parse(f"retry: 100\n\nretry: {value}\ndata: x\n\n".encode())
    assert events[0].retry is None
    assert parser.retry == 100


def test_id_containing_nul_is_ignored() -> None:
    """An `id` value with U+0000 is ignored; the previous last event ID stays."""
    events, _ = parse(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]


def test_id_in_a_block_without_data_still_sets_the_last_event_id() -> None:
    """Dispatch sets the last event ID before it checks for data, so `id: 7` alone counts."""
    events, _ = parse(b"id: 7\n\ndata: a\n\n")
    assert [e.id for e in events] == ["7"]


def test_event_with_only_event_field_is_not_dispatched() -> None:
    """A block with `event:` and no `data` has an empty data buffer: nothing is fired."""
    events, parser = parse(b"event: add\n\n")
    assert events == []
    assert parser.problems == []


def test_event_type_does_not_leak_past_an_undispatched_block() -> None:
    """The event type buffer is reset at every blank line, dispatched or not."""
    events, _ = parse(b"event: add\n\ndata: a\n\n")
    assert [e.type for e in events] == ["message"]


def test_field_names_are_case_sensitive() -> None:
    """Field names are compared literally: `Data` is an unknown field, recorded."""
    events, parser = parse(b"Data: x\n\n")
    assert events == []
    assert parser.unknown_fields == ["Data"]


def test_raw_lines_keep_every_line_of_the_block() -> None:
    """raw_lines hold the block's lines as received, comments and unknown fields included."""
    events, _ = parse(b":c\nfoo: 1\ndata:  x\n\n")
    assert events[0].raw_lines == (":c", "foo: 1", "data:  x")


# --- end of stream -----------------------------------------------------------------


def test_trailing_incomplete_event_is_discarded_and_recorded() -> None:
    """Complete lines without the closing blank line are not dispatched; strict mode says so."""
    events, parser = parse(b"data: a\n\ndata: b\n")
    assert [e.data for e in events] == ["a"]
    assert parser.problems == [END_INSIDE_EVENT]


def test_unterminated_last_line_is_discarded_and_recorded() -> None:
    """A last line without any line ending is never processed."""
    events, parser = parse(b"data: a\n\ndata: b")
    assert [e.data for e in events] == ["a"]
    assert parser.problems == [END_INSIDE_EVENT]


def test_feed_after_close_is_refused() -> None:
    """A closed parser refuses more bytes instead of silently starting again."""
    parser = SseParser()
    parser.close()
    with pytest.raises(ValueError, match="after close"):
        parser.feed(b"data: a\n\n")


# --- Flowise -----------------------------------------------------------------------


def test_flowise_stream_parses_to_seven_message_events() -> None:
    """Flowise 3.1.4's `message:\\ndata:{...}\\n\\n` framing: 7 `message` events, clean end,
    and the unknown field `message` recorded once per event."""
    events, parser = parse(FLOWISE_STREAM)
    assert [e.type for e in events] == ["message"] * 7
    assert parser.unknown_fields == ["message"] * 7
    assert (parser.problems, parser.comments, parser.line_endings) == ([], [], {"\n"})


def test_flowise_events_decode_to_names_and_payloads() -> None:
    """The real event names live in the JSON envelope."""
    events, _ = parse(FLOWISE_STREAM)
    decoded = [decode_flowise(e) for e in events]
    assert [d.name for d in decoded] == ["start", "token", "token", "token", "token", "metadata", "end"]
    assert decoded[-1] == ("end", "[DONE]")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("hello", "not JSON"),
        ("[1]", "got array"),
        ('{"event": "x"}', "missing key\\(s\\) 'data'"),
        ('{"event": "x", "data": 1, "extra": 2}', "unexpected key\\(s\\) 'extra'"),
        ('{"event": 1, "data": 1}', "must be a non-empty string, got number"),
        ('{"event": "x", "data": NaN}', "NaN is not a JSON value"),
        ('{"event": "x", "event": "y", "data": 1}', "duplicate key 'event'"),
    ],
    ids=["not-json", "array", "missing", "extra", "name-not-string", "nan", "duplicate"],
)
def test_decode_flowise_rejects_anything_but_the_envelope(data: str, message: str) -> None:
    """decode_flowise raises ValueError naming what is wrong with the envelope."""
    with pytest.raises(ValueError, match=message):
        decode_flowise(Event(data=data))


# --- read_events: in memory --------------------------------------------------------


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def _memory_response(chunks: list[bytes], *, read: float | None = 1.0) -> httpx.Response:
    timeout = httpx.Timeout(1.0, read=read).as_dict()
    request = httpx.Request("GET", "http://test/", extensions={"timeout": timeout})
    return httpx.Response(200, request=request, stream=_Chunks(chunks))


def test_read_events_stops_after_max_events() -> None:
    """More than max_events events: outcome too_many_events, the first max_events kept."""
    response = _memory_response([b"data: a\n\n"] * 5)
    result = read_events(response, total_timeout=5, event_timeout=1, max_events=3)
    assert (result.outcome, len(result.events), response.is_closed) == ("too_many_events", 3, True)


def test_read_events_stops_after_max_bytes() -> None:
    """More than max_bytes bytes: outcome too_large, only max_bytes bytes parsed."""
    response = _memory_response([b"data: a\n\n", b"data: b\n\n"])
    result = read_events(response, total_timeout=5, event_timeout=1, max_bytes=10)
    assert (result.outcome, result.bytes_read, [e.data for e in result.events]) == ("too_large", 18, ["a"])


def test_read_events_records_a_stream_closed_inside_an_event() -> None:
    """A server that closes mid-event completes, with the framing problem recorded."""
    result = read_events(_memory_response([b"data: a\n\ndata: b"]), total_timeout=5, event_timeout=1)
    assert (result.outcome, result.parser.problems) == ("complete", [END_INSIDE_EVENT])


@pytest.mark.parametrize("read", [None, 30.0], ids=["no-read-timeout", "longer-than-event-timeout"])
def test_read_events_refuses_a_read_timeout_that_cannot_bound_it(read: float | None) -> None:
    """Without a read timeout <= event_timeout a silent server could block forever."""
    with pytest.raises(ValueError, match="read timeout"):
        read_events(_memory_response([], read=read), total_timeout=5, event_timeout=1)


# --- read_events: loopback servers -------------------------------------------------

Handler = Callable[[socket.socket, threading.Event], None]
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
MARGIN = 0.5  # scheduling slack on a loaded machine


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], str]]:
    """Start one-connection HTTP servers on 127.0.0.1; stop them after the test."""
    stop = threading.Event()
    servers: list[tuple[socket.socket, threading.Thread]] = []

    def start(handler: Handler) -> str:
        listener = socket.create_server(("127.0.0.1", 0))

        def run() -> None:
            conn, _ = listener.accept()
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                try:
                    conn.sendall(HEAD)
                    handler(conn, stop)
                except OSError:
                    pass  # the client went away: that is how endless streams end

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        servers.append((listener, thread))
        return f"http://127.0.0.1:{listener.getsockname()[1]}/"

    yield start
    stop.set()
    for listener, thread in servers:
        listener.close()
        thread.join(timeout=2)


def _read(url: str, *, total: float, event: float) -> tuple[StreamResult, float]:
    """read_events as a suite would call it; the time includes connecting."""
    started = time.monotonic()
    timeout = httpx.Timeout(2.0, read=event)
    with httpx.Client(trust_env=False) as client, client.stream("GET", url, timeout=timeout) as response:
        result = read_events(response, total_timeout=total, event_timeout=event)
    return result, time.monotonic() - started


def _silent(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(10)


def test_read_events_normal_stream_is_complete(serve: Callable[[Handler], str]) -> None:
    """Flowise's stream sent one event per HTTP chunk, then the last chunk: complete."""

    def flowise(conn: socket.socket, stop: threading.Event) -> None:
        for block in FLOWISE_STREAM.split(b"\n\n")[:-1]:
            conn.sendall(_chunk(block + b"\n\n"))
        conn.sendall(b"0\r\n\r\n")

    result, elapsed = _read(serve(flowise), total=5, event=1)
    assert (result.outcome, len(result.events), result.bytes_read) == ("complete", 7, len(FLOWISE_STREAM))
    assert elapsed < 1


def test_read_events_endless_heartbeats_hit_event_timeout(serve: Callable[[Handler], str]) -> None:
    """Comments every 50 ms are bytes but no event: event_timeout, within its bound."""

    def heartbeats(conn: socket.socket, stop: threading.Event) -> None:
        while not stop.wait(0.05):
            conn.sendall(_chunk(b":heartbeat\n\n"))

    result, elapsed = _read(serve(heartbeats), total=5, event=0.5)
    assert result.outcome == "event_timeout"
    assert result.parser.comments[:1] == ["heartbeat"]
    assert 0.5 <= elapsed < 0.5 + MARGIN


def test_read_events_silent_server_hits_event_timeout(serve: Callable[[Handler], str]) -> None:
    """No byte at all: the request's read timeout fires after event_timeout."""
    result, elapsed = _read(serve(_silent), total=5, event=0.5)
    assert result.outcome == "event_timeout"
    assert 0.5 <= elapsed < 0.5 + MARGIN


def test_read_events_trickling_stream_hits_total_timeout(serve: Callable[[Handler], str]) -> None:
    """One byte per 0.2 s forever never trips the read timeout; the wall clock stops it
    within total_timeout + event_timeout."""

    def trickle(conn: socket.socket, stop: threading.Event) -> None:
        for byte in itertools.cycle(b"data: tick\n\n"):
            conn.sendall(_chunk(bytes([byte])))
            if stop.wait(0.2):
                return

    result, elapsed = _read(serve(trickle), total=1.0, event=3.0)
    assert result.outcome == "total_timeout"
    assert 1.0 <= elapsed < 1.0 + 3.0


def test_read_events_silence_past_the_deadline_is_total_timeout(serve: Callable[[Handler], str]) -> None:
    """When the read timeout fires after the overall deadline, the outcome is total_timeout."""
    result, elapsed = _read(serve(_silent), total=0.2, event=0.5)
    assert result.outcome == "total_timeout"
    assert 0.2 <= elapsed < 0.2 + 0.5 + MARGIN


def test_read_events_connection_reset_is_transport_error(serve: Callable[[Handler], str]) -> None:
    """A server that resets the connection mid-stream: transport_error, events so far kept."""

    def reset(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(_chunk(b"data: first\n\n"))
        stop.wait(0.2)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    result, elapsed = _read(serve(reset), total=5, event=2)
    assert (result.outcome, [e.data for e in result.events]) == ("transport_error", ["first"])
    assert result.detail
    assert elapsed < 2
