"""Self-tests of the cross-cutting checks: error shape, operation names, SSE grammar, big bodies."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from flowise_conformance.checks.core import ConformanceFailure, expect_error_shape, expect_json
from flowise_conformance.checks.error_shape import error_shape_problem, operation_label, schemathesis_error_shape
from flowise_conformance.checks.limits import PeakRss, json_body, multipart_body, urlencoded_body
from flowise_conformance.checks.sse import (
    StreamedAnswer,
    expect_no_cache,
    grammar_problems,
    known_event_names,
    token_text,
)
from flowise_conformance.sse import FlowiseEvent, decode_flowise, parse

FLOWISE_STREAM = (Path(__file__).parent / "data" / "sse" / "flowise-3.1.4-chatflow.txt").read_bytes()
S1 = b'{"statusCode":404,"success":false,"message":"Chatflow x not found in the database!","stack":{}}'
JSON_UTF8 = "application/json; charset=utf-8"


# ---------------------------------------------------------------- error shape


def test_flowise_s1_envelope_is_the_error_shape():
    """Flowise's express error envelope (S1) is exactly the spec's Error shape."""
    assert error_shape_problem(404, JSON_UTF8, S1) is None


@pytest.mark.parametrize(("status", "ctype", "body", "says"), [
    (401, JSON_UTF8, b'{"error":"Unauthorized Access"}', "'statusCode' is a required property"),  # S2
    (401, JSON_UTF8, b'{"message":"Unauthorized"}', "'success' is a required property"),  # S3
    (403, JSON_UTF8, b'{"message":"Forbidden"}', "'statusCode' is a required property"),  # S4
    (401, "text/html; charset=utf-8", b"Unauthorized", "not application/json"),  # S6
    (404, "text/html; charset=utf-8", b"Variable not found in the database", "not application/json"),  # S7
    (429, "text/html; charset=utf-8", b"slow down", "not application/json"),  # S8
    (413, "application/json", b'{"statusCode":400,"success":false,"message":"x"}', "statusCode is 400"),
    (500, "application/json", b'{"statusCode":500,"success":true,"message":"x"}', "False was expected"),
    (500, "application/json", b"", "empty"),
    (500, "application/json", b"{not json", "not valid JSON"),
    (500, None, S1, "(none)"),
])
def test_every_flowise_variant_but_s1_is_a_problem(status, ctype, body, says):
    """The variants real Flowise sends (docs/error-shapes.md) are each reported, with the reason."""
    problem = error_shape_problem(status, ctype, body)
    assert problem is not None and says in problem, problem


def test_success_statuses_are_never_an_error_shape_problem():
    """A 2xx/3xx answer is not held to the error shape."""
    assert error_shape_problem(200, "text/html", b"<html>") is None


def test_an_already_parsed_body_is_checked_too():
    """Callers that parsed the JSON may pass the value instead of the bytes."""
    assert error_shape_problem(404, "application/json", json.loads(S1)) is None
    assert "required" in error_shape_problem(401, "application/json", {"error": "x"})


def _response(status: int, ctype: str, body: bytes) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": ctype}, content=body,
                          request=httpx.Request("GET", "http://127.0.0.1/api/v1/chatflows/x"))


def _verdicts(status: int, ctype: str, body: bytes) -> tuple[bool, ...]:
    """(expect_json passes, expect_error_shape passes, error_shape_problem is None) for one answer."""
    passed = []
    for check in (expect_json, expect_error_shape):
        try:
            check(_response(status, ctype, body))
            passed.append(True)
        except ConformanceFailure:
            passed.append(False)
    return passed[0], passed[1], error_shape_problem(status, ctype, body) is None


@pytest.mark.parametrize(("ctype", "json_ok"), [
    ("application/json", True), (JSON_UTF8, True), ("Application/JSON ; charset=utf-8", True),
    ("application/problem+json", False), ("text/json", False), ("application/x-json", False),
    ("text/html; charset=utf-8", False),
])
def test_expect_json_and_the_error_shape_use_one_json_rule(ctype, json_ok):
    """Only application/json (the spec's one JSON media type, docs/error-shapes.md) counts as JSON, for the
    suites' expect_json/expect_error_shape and for the error-shape hook alike."""
    expected = (json_ok, json_ok, json_ok)
    received = _verdicts(404, ctype, S1)
    assert received == expected, f"Expected: (expect_json, expect_error_shape, hook) = {expected}\nReceived: {received}"


@pytest.mark.parametrize(("method", "path", "label"), [
    ("GET", "/api/v1/chatflows/abc", "getChatflow (GET /api/v1/chatflows/{id})"),
    ("GET", "/api/v1/chatflows/apikey/k", "getChatflowsByApiKey (GET /api/v1/chatflows/apikey/{apikey})"),
    ("post", "/api/v1/prediction/x", "createPrediction (POST /api/v1/prediction/{id})"),
    ("GET", "/api/v1/nowhere", "GET /api/v1/nowhere (no operation in the spec)"),
])
def test_operation_label_names_the_spec_operation(method, path, label):
    """A request is named by the most specific spec operation it hits."""
    assert operation_label(method, path) == label


def _st_response(status: int, ctype: str, body: bytes) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, headers={"content-type": [ctype]}, content=body)


def test_schemathesis_check_skips_successes_passes_s1_and_fails_s2():
    """The schemathesis form: True (skipped) for 2xx, None for the envelope, AssertionError naming op and status."""
    case = SimpleNamespace(method="GET", formatted_path="/api/v1/chatflows")
    assert schemathesis_error_shape(None, _st_response(200, "application/json", b"[]"), case) is True
    assert schemathesis_error_shape(None, _st_response(404, JSON_UTF8, S1), case) is None
    with pytest.raises(AssertionError, match=r"listChatflows \(GET /api/v1/chatflows\) answered 401"):
        schemathesis_error_shape(None, _st_response(401, JSON_UTF8, b'{"error":"Unauthorized Access"}'), case)


# ---------------------------------------------------------------- SSE grammar


def _events(*pairs: tuple[str, object]) -> list[FlowiseEvent]:
    return [FlowiseEvent(name, data) for name, data in pairs]


def test_recorded_flowise_chatflow_stream_follows_the_grammar():
    """The stream a real Flowise 3.1.4 sent (start repeats the first token) passes, tokens join to the text."""
    events, parser = parse(FLOWISE_STREAM)
    decoded = [decode_flowise(e) for e in events]
    assert parser.problems == [] and grammar_problems(decoded) == []
    assert token_text(decoded) == "Fake reply to: hi"


def test_flowise_agentflow_error_stream_follows_the_grammar():
    """Flowise's agentflow failure (progress events, error, end) is a valid stream."""
    events = _events(("agentFlowEvent", "INPROGRESS"), ("nextAgentFlow", {"status": "ERROR"}),
                     ("agentFlowExecutedData", []), ("agentFlowEvent", "ERROR"), ("error", "boom"), ("end", "[DONE]"))
    assert grammar_problems(events) == []


@pytest.mark.parametrize(("events", "says"), [
    (_events(("token", "a"), ("metadata", {})), "no 'end' event"),
    (_events(("token", "a"), ("end", "[DONE]"), ("token", "b")), "events after 'end'"),
    (_events(("token", "a"), ("end", "[DONE]"), ("end", "[DONE]")), "'end' sent 2 times"),
    (_events(("token", "a"), ("end", "done")), "not '[DONE]'"),
    (_events(("token", "a"), ("start", "a"), ("end", "[DONE]")), "'start' (event 1) comes after the first 'token'"),
    (_events(("metadata", {}), ("token", "a"), ("end", "[DONE]")), "after 'metadata'"),
    (_events(("error", "x"), ("token", "a"), ("end", "[DONE]")), "events after 'error'"),
    (_events(("tokens", "a"), ("end", "[DONE]")), "unknown event name(s) ['tokens']"),
    (_events(("token", 5), ("end", "[DONE]")), "carries int"),
    ([], "no event at all"),
])
def test_grammar_problems_are_named(events, says):
    """Each way of breaking Flowise's event grammar is reported in words."""
    assert any(says in p for p in grammar_problems(events)), grammar_problems(events)


def test_event_names_come_from_the_spec():
    """The allowed names are the spec's StreamEventName enum."""
    assert {"start", "token", "metadata", "error", "end", "agentFlowExecutedData"} <= known_event_names()


def _answer(headers: dict[str, str]) -> StreamedAnswer:
    request = httpx.Request("POST", "http://127.0.0.1/api/v1/prediction/x")
    return StreamedAnswer(httpx.Response(200, headers=headers, request=request), None, 0.0)


def test_no_cache_check_reads_the_directives():
    """Cache-Control: no-cache (or no-store) passes; a cacheable or missing header fails."""
    expect_no_cache(_answer({"cache-control": "no-cache"}))
    expect_no_cache(_answer({"cache-control": "private, no-store"}))
    for headers in ({"cache-control": "max-age=60"}, {}):
        with pytest.raises(ConformanceFailure):
            expect_no_cache(_answer(headers))


# ---------------------------------------------------------------- big bodies


@pytest.mark.parametrize("size", [256, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 7])
def test_body_generators_make_exactly_the_size_asked(size):
    """Each generator's chunks add up to exactly the requested byte count."""
    assert sum(map(len, json_body(size))) == size
    assert sum(map(len, urlencoded_body(size))) == size
    assert sum(map(len, multipart_body(size, "fc-boundary"))) == size


def test_json_body_is_json_and_multipart_body_is_well_formed():
    """The padded bodies are valid: JSON parses, multipart has both parts and the closing boundary."""
    assert json.loads(b"".join(json_body(200)))["question"] == "fc size probe"
    multipart = b"".join(multipart_body(400, "fc-b"))
    assert multipart.startswith(b"--fc-b\r\n") and multipart.endswith(b"\r\n--fc-b--\r\n")
    assert b'name="files"; filename="fc-size.txt"' in multipart


def test_streaming_fifty_mib_keeps_the_peak_rss_flat():
    """Producing a 50 MiB + 1 byte body costs the process almost no memory: it is never held whole."""
    with PeakRss() as peak:
        total = sum(map(len, json_body(50 * (1 << 20) + 1)))
    assert total == 50 * (1 << 20) + 1
    if peak.growth_mib is not None:
        assert peak.growth_mib < 8, peak.describe()
