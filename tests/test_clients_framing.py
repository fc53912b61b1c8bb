"""The client-only fault sse-data-split: strict SSE parsers see the same events, line-per-event readers do not."""
from __future__ import annotations

import json

from flowise_conformance.clients import RAISED, RETURNED, SdkCall
from flowise_conformance.clients.checks import reported_status
from flowise_conformance.reference.client_framing import split_data_line
from flowise_conformance.reference.sse_out import frame
from flowise_conformance.sse import decode_flowise, parse

EVENTS = [("start", "Echo:"), ("token", "Echo:"), ("token", " a, b"), ("metadata", {"chatId": "c", "x": [1, 2]}),
          ("end", "[DONE]")]


def _stream(split: bool) -> bytes:
    frames = [frame(name, data) for name, data in EVENTS]
    return b":heartbeat\n\n".join(split_data_line(f) if split else f for f in frames)


def test_split_frame_spans_two_data_lines():
    """Every event of the faulty stream has two data lines (the fault really changes the bytes)."""
    events, _ = parse(_stream(split=True))
    assert len(events) == len(EVENTS)
    assert all(sum(1 for line in e.raw_lines if line.startswith("data:")) == 2 for e in events)


def test_strict_parser_decodes_the_same_events_from_a_split_stream():
    """A WHATWG parser joins the data lines: the decoded Flowise events are those of the normal stream."""
    normal, normal_parser = parse(_stream(split=False))
    split, split_parser = parse(_stream(split=True))
    assert not normal_parser.problems and not split_parser.problems
    assert [tuple(decode_flowise(e)) for e in split] == [tuple(decode_flowise(e)) for e in normal] == EVENTS


def test_one_json_per_data_line_breaks_on_a_split_stream():
    """What both SDKs do (one JSON value per data: line) works on Flowise's framing and fails on the split one."""

    def per_line(stream: bytes) -> list[object]:
        return [json.loads(line[5:]) for line in stream.decode().split("\n") if line.startswith("data:")]

    assert [(e["event"], e["data"]) for e in per_line(_stream(split=False))] == EVENTS
    try:
        per_line(_stream(split=True))
    except ValueError:
        return
    raise AssertionError("the split stream parsed line by line as JSON")


def test_reported_status_reads_each_sdks_way_of_reporting():
    """Python: HTTPError's status; JS: the error body's statusCode, or the status in 'HTTP error! status: N'."""
    assert reported_status(SdkCall(sdk="p", outcome=RAISED, status=404, error="404 Client Error")) == 404
    assert reported_status(SdkCall(sdk="j", outcome=RAISED, error="HTTP error! status: 404")) == 404
    assert reported_status(SdkCall(sdk="j", outcome=RETURNED, streamed=False, value={"statusCode": 404})) == 404
    assert reported_status(SdkCall(sdk="j", outcome=RETURNED, streamed=False, value={"text": "hi"})) is None
    assert reported_status(SdkCall(sdk="j", outcome="timeout")) is None
