"""Streamed predictions ("streaming": true): strict SSE framing and Flowise's event grammar.

Every stream is read by the strict WHATWG parser (flowise_conformance/sse.py) through
``checks.sse.open_stream``: per-event and total timeouts from the target config, so a stalled,
endless or never-answered stream fails in bounded time instead of hanging the run. Heartbeat
comments (``:heartbeat``) are not events and are ignored everywhere.
"""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect, expect_json, expect_status
from flowise_conformance.checks.core import ConformanceFailure, describe
from flowise_conformance.checks.sse import (
    expect_clean_framing,
    expect_end_last,
    expect_event_stream,
    expect_grammar,
    expect_no_cache,
    flowise_events,
    open_stream,
    summarize,
    token_text,
)
from flowise_conformance.ids import item_path
from flowise_conformance.sse import StreamOutcome, read_events

pytestmark = [pytest.mark.resource("streaming"), pytest.mark.mutating, pytest.mark.requires("streaming")]

QUESTION = "stream me, strictly"


def _stream(api, target, chatflow, question: str = QUESTION):  # noqa: ANN001, ANN202
    return open_stream(api, item_path("prediction", chatflow["id"]), target, json={"question": question, "streaming": True})


@pytest.mark.level("MUST")
def test_stream_content_type_is_event_stream(api, target, chatflow):
    """A streamed prediction answers 200 with Content-Type: text/event-stream."""
    with _stream(api, target, chatflow) as answer:
        expect_event_stream(answer)


@pytest.mark.level("SHOULD")
def test_stream_is_not_cached(api, target, chatflow):
    """A streamed prediction carries Cache-Control: no-cache."""
    with _stream(api, target, chatflow) as answer:
        expect_event_stream(answer)
        expect_no_cache(answer)


@pytest.mark.level("MUST")
def test_stream_is_well_framed(api, target, chatflow):
    """The stream is valid UTF-8 in the event-stream format, every event closed by a blank line, and it ends."""
    with _stream(api, target, chatflow) as answer:
        expect_clean_framing(answer)


@pytest.mark.level("MUST")
def test_stream_event_data_is_flowise_json(api, target, chatflow):
    """Every event's data is strict JSON {"event": <name>, "data": <payload>}."""
    with _stream(api, target, chatflow) as answer:
        events = flowise_events(answer)
    expect(events, "The stream carried no event", expected="at least one event", received=events)


@pytest.mark.level("MUST")
def test_stream_events_follow_flowise_grammar(api, target, chatflow):
    """Known event names in Flowise's order: start before tokens, metadata after them, end last and once."""
    with _stream(api, target, chatflow) as answer:
        expect_grammar(flowise_events(answer))


@pytest.mark.level("MUST")
def test_stream_ends_with_end_done(api, target, chatflow):
    """The stream ends, within the timeouts, with the event {"event": "end", "data": "[DONE]"}."""
    with _stream(api, target, chatflow) as answer:
        expect_end_last(flowise_events(answer))


@pytest.mark.level("MUST")
def test_stream_tokens_add_up_to_the_json_text(api, target, chatflow):
    """The streamed 'token' payloads, joined, equal the 'text' of the same prediction asked without streaming."""
    response = api.post(item_path("prediction", chatflow['id']), json={"question": QUESTION})
    expect_status(response, 200)
    text = expect_json(response).get("text")
    with _stream(api, target, chatflow) as answer:
        events = flowise_events(answer)
    streamed = token_text(events)
    if streamed != text:
        raise ConformanceFailure("The streamed tokens differ from the answer's text",
                                 f"tokens joined = {text!r}", f"{streamed!r} ({summarize(events)})")


@pytest.mark.level("SHOULD")
def test_stream_error_is_an_error_event_then_end(api, target, failing_chatflow):
    """A flow that fails after its stream started sends an 'error' event with a message, then 'end', last."""
    with _stream(api, target, failing_chatflow) as answer:
        if answer.status >= 400:
            pytest.skip(f"the failure was answered {answer.status} before any event: there is no stream to check")
        events = flowise_events(answer)
    names = [e.name for e in events]
    if "error" not in names:
        raise ConformanceFailure("A failed flow's stream carries no 'error' event", "an 'error' event, then 'end'",
                                 summarize(events))
    error = events[names.index("error")]
    if not isinstance(error.data, str) or not error.data.strip():
        raise ConformanceFailure("The 'error' event carries no message", "a non-empty string", repr(error.data))
    if names[names.index("error") + 1:] != ["end"]:
        raise ConformanceFailure("The 'error' event is not followed by 'end' alone", "error, then end, then nothing",
                                 summarize(events))
    expect_end_last(events)


@pytest.mark.level("MUST")
def test_disconnect_mid_stream_leaves_the_server_healthy(api, anon, target, chatflow):
    """A client that hangs up after the first event leaves the server healthy: ping and a new stream work."""
    long_question = " ".join(f"word{i}" for i in range(400))
    with api.stream("POST", item_path("prediction", chatflow['id']), json={"question": long_question, "streaming": True},
                    read_timeout=target.timeouts.stream_event, headers={"Accept-Encoding": "identity"}) as response:
        expect_status(response, 200)
        # leave after the first event with the rest of the stream unread: the connection is closed
        first = read_events(response, total_timeout=target.timeouts.stream_total,
                            event_timeout=target.timeouts.stream_event, stop_after=1)
    if first.outcome != StreamOutcome.STOPPED:
        raise ConformanceFailure("The stream sent no first event", "a first event within the stream's timeouts",
                                 f"{first.outcome}: {first.detail} ({first.bytes_read} bytes, {first.elapsed:.1f} s)")
    expect_status(anon.get("ping"), 200, why="the server must survive a client that disconnects mid-stream")
    with _stream(api, target, chatflow) as answer:
        expect_end_last(flowise_events(answer))


@pytest.mark.level("MUST")
@pytest.mark.requires("chatflows")
@pytest.mark.parametrize("chatbot_config", [None, '{"postProcessing":{"enabled":true}}'],
                         ids=["agentflow", "post-processing"])
def test_streaming_flag_agrees_with_prediction(api, anon, target, create_chatflow, chatbot_config):
    """GET /chatflows-streaming/{id} says isStreaming exactly when a prediction with streaming: true is an event stream."""
    flow = create_chatflow(**({"chatbotConfig": chatbot_config} if chatbot_config else {}))
    probe = anon.get(item_path("chatflows-streaming", flow['id']))
    expect_status(probe, 200)
    flag = expect_json(probe).get("isStreaming")
    if not isinstance(flag, bool):
        raise ConformanceFailure("isStreaming is not a boolean", "{isStreaming: true|false}", describe(probe))
    with _stream(api, target, flow) as answer:
        streamed = answer.response.headers.get("content-type", "").startswith("text/event-stream")
        if streamed != flag:
            raise ConformanceFailure(
                "GET /chatflows-streaming disagrees with what prediction does",
                f"a {'text/event-stream' if flag else 'JSON'} answer, since isStreaming is {str(flag).lower()}",
                describe(answer.response))


@pytest.mark.level("SHOULD")
def test_streaming_request_that_fails_first_gets_a_json_error(api, target):
    """streaming: true for an unknown chatflow is answered at once with 404 JSON, not left unanswered."""
    with open_stream(api, item_path("prediction", uuid.uuid4()), target,
                     json={"question": QUESTION, "streaming": True}) as answer:
        expect_status(answer.response, 404, why="a prediction that fails before any event gets its JSON error")
