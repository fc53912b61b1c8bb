"""The one error shape, as a pure function every consumer shares.

    error_shape_problem(status, content_type, body) -> str | None
        None when a 4xx/5xx answer carries the spec's ``Error`` envelope
        ``{statusCode: <the status>, success: false, message: <string>, stack?: any}`` as JSON,
        else one line saying what is wrong. Statuses below 400 are never a problem.
    envelope_problem(status, content_type, body) -> str | None
        the same check whatever the status; ``checks.core.expect_error_shape`` raises on it.
        "As JSON" is ``checks.core.is_json_media_type``: application/json (a charset is fine),
        the one rule expect_json uses too.
    operation_label(method, path) -> str
        "getChatflow (GET /api/v1/chatflows/{id})", or the raw request when the spec has no
        such operation, for messages that must name the operation.
    schemathesis_error_shape(ctx, response, case)
        the same check as a schemathesis check function; the fuzz suite registers it
        (``schemathesis.check(schemathesis_error_shape)``) so fuzzed 4xx/5xx answers are held
        to the same shape. It is not registered here: schemathesis checks are process-global.

Used by the error-shape plugin (``flowise_conformance.plugins.error_shape``) for every
exchange of the hand-written suites, and by ``expect_error_shape``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jsonschema

from flowise_conformance.checks.core import error_schema, is_json_media_type
from flowise_conformance.redact import excerpt


def _clip(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return excerpt(text, limit, more="... ({n} chars)")  # redacted before it is cut


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = error_schema()
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def error_shape_problem(status: int, content_type: str | None, body: bytes | str | Any) -> str | None:
    """What is wrong with a 4xx/5xx answer's body, or None when it is the documented Error JSON.

    ``body`` is the raw body (bytes or text) or, when the caller already parsed it, the
    parsed JSON value (dict/list/...). A HEAD answer has no body: do not pass those.
    """
    return None if status < 400 else envelope_problem(status, content_type, body)


def envelope_problem(status: int, content_type: str | None, body: bytes | str | Any) -> str | None:
    """The one Error-envelope check, whatever the status: JSON (core.is_json_media_type), valid against
    components/schemas/Error, statusCode equal to the status. None when all hold, else what is wrong."""
    if isinstance(body, (bytes, bytearray)):
        raw: str | None = bytes(body).decode("utf-8", errors="replace")
    elif isinstance(body, str):
        raw = body
    else:
        raw = None
    if not is_json_media_type(content_type):
        shown = _clip(raw) if raw is not None else _clip(body)
        return f"Content-Type is {content_type or '(none)'!r}, not application/json; body {shown!r}"
    if raw is not None:
        if not raw.strip():
            return "the body is empty, not the JSON Error envelope"
        try:
            value = json.loads(raw)
        except ValueError as exc:
            return f"the body is not valid JSON ({exc}): {_clip(raw)!r}"
    else:
        value = body
    errors = sorted(_validator().iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        said = []
        for error in errors[:3]:
            where = "/".join(str(p) for p in error.absolute_path)
            said.append(error.message + (f" (at {where})" if where else ""))
        return f"{'; '.join(said)}; body {_clip(json.dumps(value))}"
    if value.get("statusCode") != status:
        return f"statusCode is {value.get('statusCode')!r}, the HTTP status is {status}"
    return None


# ---------------------------------------------------------------- operations


def operation_label(method: str, path: str) -> str:
    """The spec operation a request hits, e.g. 'getChatflow (GET /api/v1/chatflows/{id})'."""
    from flowise_conformance.spec_model import match

    method = method.upper()
    try:
        op = match(method, path)
    except Exception:  # noqa: BLE001 - a label must never break a report
        op = None
    return f"{op.operation_id} ({method} {op.path})" if op else f"{method} {path} (no operation in the spec)"


# ---------------------------------------------------------------- schemathesis


def schemathesis_error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schemathesis check: a 4xx/5xx answer must carry the Error envelope.

    Returns True (schemathesis: "skipped") for 2xx/3xx and HEAD answers, None when the
    shape is right, and raises AssertionError naming the operation and status otherwise.
    """
    status = response.status_code
    method = getattr(case, "method", "") or ""
    if status < 400 or method.upper() == "HEAD":
        return True
    headers = response.headers or {}
    ctype = headers.get("content-type") or headers.get("Content-Type") or [""]
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    problem = error_shape_problem(status, ctype, response.content)
    if problem:
        path = getattr(case, "formatted_path", None) or getattr(getattr(case, "operation", None), "path", "?")
        raise AssertionError(f"Error shape: {operation_label(method, path)} answered {status}: {problem}")
    return None
