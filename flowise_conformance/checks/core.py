"""Status, JSON and error-shape checks, with 'Expected / Received' messages."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import httpx

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


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a Content-Type is the spec's one JSON media type: ``application/json``, any parameters
    (charset) allowed. The spec declares every JSON body so (no ``+json``, no other ``*/json``), and
    docs/error-shapes.md requires it of errors; expect_json and the error-shape check both use this."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def expect_json(response: httpx.Response) -> Any:
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
