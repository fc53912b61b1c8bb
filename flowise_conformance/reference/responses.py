"""Response helpers: the one JSON error shape and JSON bodies."""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ApiError(Exception):
    """Raised by handlers; rendered as the error shape by the app."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _JSONResponse(JSONResponse):
    """JSON that survives lone surrogates (valid JSON escapes such as "\\ud800" in a request):
    they are sent escaped, as JSON.stringify does, instead of failing the UTF-8 encoding."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "success": False, "message": message, "stack": {}}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _JSONResponse(error_body(status, message), status_code=status, headers=headers)


def ok(body: Any, status: int = 200) -> Response:
    return _JSONResponse(body, status_code=status)


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 for a missing body, malformed JSON or a non-object.

    Every request body of the spec is ``required: true``: an empty or blank body is bad input.
    """
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    if not raw.strip():
        raise ApiError(400, "A JSON object body is required")
    if "application/json" not in ctype and not ctype.endswith("+json"):
        raise ApiError(415, f"Unsupported content type {ctype or '(none)'}: send application/json")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The JSON body must be an object")
    return body
