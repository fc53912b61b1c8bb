"""Status, JSON and error-shape checks, with 'Expected / Received' messages."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import httpx

from flowise_conformance.bodies import media_type
from flowise_conformance.redact import excerpt, redact

EXCERPT = 500


class ConformanceFailure(AssertionError):
    """A requirement of the spec that the server did not meet."""

    def __init__(self, title: str, expected: str, received: str, hint: str = "") -> None:
        self.title = title
        message = f"{title}\n  Expected: {expected}\n  Received: {received}"
        if hint:
            message += f"\n  Hint: {hint}"
        super().__init__(redact(message))


def describe(response: httpx.Response) -> str:
    ctype = response.headers.get("content-type", "(no content-type)")
    try:
        body = response.text
    except httpx.ResponseNotRead:
        body = "<streamed>"
    body = excerpt(body, EXCERPT, more="... ({n} chars)")  # redacted before it is cut
    return f"{response.status_code} {ctype} {body!r} for {response.request.method} {response.request.url.path}"


def expect_status(response: httpx.Response, *allowed: int, why: str = "") -> None:
    if response.status_code not in allowed:
        wanted = " or ".join(str(s) for s in allowed)
        raise ConformanceFailure(why or f"Unexpected status {response.status_code}", f"status {wanted}", describe(response))


def expect(condition: object, title: str, *, expected: str, received: object = None,
           response: httpx.Response | None = None) -> None:
    """The general check: unless ``condition`` holds, fail with title / Expected / Received, and the
    request when ``response`` is given (received defaults to the whole answer then)."""
    if condition:
        return
    got = received if isinstance(received, str) else excerpt(repr(received), EXCERPT, more="... ({n} chars)")
    if response is not None:
        got = describe(response) if received is None else f"{got} (answer: {describe(response)})"
    raise ConformanceFailure(title, expected, got)


def expect_equal(received: object, expected: object, title: str, response: httpx.Response | None = None) -> None:
    """``received == expected``; both shown as repr."""
    expect(received == expected, title, expected=repr(expected), received=repr(received), response=response)


JSON_KINDS = {dict: "a JSON object", list: "a JSON array", str: "a string", int: "an integer", bool: "a boolean"}


def expect_type(value: object, kind: type, title: str, response: httpx.Response | None = None) -> None:
    """``isinstance(value, kind)``, with the kind named as JSON names it."""
    expect(isinstance(value, kind), title, expected=JSON_KINDS.get(kind, kind.__name__),
           received=f"{type(value).__name__} {excerpt(repr(value), EXCERPT, more='... ({n} chars)')}", response=response)


def expect_in(item: object, collection: Any, title: str, response: httpx.Response | None = None) -> None:
    """``item in collection`` (a listing holds what was made)."""
    expect(item in collection, title, expected=f"{item!r} among them", received=collection, response=response)


def expect_not_in(item: object, collection: Any, title: str, response: httpx.Response | None = None) -> None:
    """``item not in collection`` (a listing no longer holds what was deleted)."""
    expect(item not in collection, title, expected=f"{item!r} not among them", received=collection, response=response)


def expect_refused(response: httpx.Response, why: str) -> None:
    """Any 4xx or 5xx: the request was not accepted (what refusal it is, another test checks)."""
    expect(response.status_code >= 400, why, expected="status >= 400 (refused)", response=response)


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a Content-Type is the spec's one JSON media type: ``application/json``, any parameters
    (charset) allowed. The spec declares every JSON body so (no ``+json``, no other ``*/json``), and
    docs/error-shapes.md requires it of errors; expect_json and the error-shape check both use this."""
    return media_type(content_type) == "application/json"


def expect_json(response: httpx.Response, *allowed: int) -> Any:
    """The parsed JSON body; given ``allowed`` statuses, the status is checked first (a 404 is named as such)."""
    if allowed:
        expect_status(response, *allowed)
    if not is_json_media_type(response.headers.get("content-type")):
        raise ConformanceFailure("Response is not JSON", "Content-Type application/json", describe(response))
    try:
        return response.json()
    except ValueError as exc:
        raise ConformanceFailure("Response body is not valid JSON", "a JSON body", f"{exc}: {describe(response)}") from None


@lru_cache(maxsize=1)
def error_schema() -> dict[str, Any]:
    """The spec's one error shape (components/schemas/Error)."""
    from flowise_conformance.spec import component_schema

    return component_schema("Error")


def expect_error_shape(response: httpx.Response) -> dict[str, Any]:
    """The response carries the documented JSON error {statusCode: <its status>, success: false, message, stack?}
    (checks.error_shape.envelope_problem, the one envelope check; held to it whatever the status)."""
    from flowise_conformance.checks.error_shape import envelope_problem

    body = expect_json(response)
    problem = envelope_problem(response.status_code, response.headers.get("content-type"), response.content)
    if problem:
        raise ConformanceFailure(
            f"Error body of {response.status_code} is not the Error envelope",
            "{statusCode: <status>, success: false, message: <string>, stack: ...}",
            f"{problem} in {describe(response)}",
        )
    return body
