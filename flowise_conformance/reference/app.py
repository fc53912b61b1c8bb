"""The reference server's ASGI app: size limit, auth gate, route table, error rendering.

Request pipeline (like Flowise, the body is read and limited before auth):
    body limit (413) -> auth gate (401, public paths exempt) -> route (404/405) -> handler
Every error leaves through ``render_error`` so it has the one JSON error shape.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import importlib
import pkgutil

import flowise_conformance.reference as _package
from flowise_conformance.reference import auth
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, error_body
from flowise_conformance.reference.store import Store

DEFAULT_BODY_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    body_limit: int = DEFAULT_BODY_LIMIT
    faults: frozenset[str] = frozenset()
    db_path: str = ":memory:"


NOT_FOUND_IS_500 = fault(
    "not-found-500",
    "Answers 500 instead of 404 for unknown ids and unknown routes.",
    caught_by=[
        "chatflows/test_chatflows_lifecycle.py::test_get_unknown_chatflow_is_404",
        "test_errors_basics.py::test_unknown_route_is_404_json",
    ],
)
ERROR_WITHOUT_MESSAGE = fault(
    "error-no-message",
    "Error bodies lose their 'message' field.",
    caught_by=["test_errors_basics.py::test_unknown_route_is_404_json"],
)
NO_BODY_LIMIT = fault(
    "no-413",
    "Accepts bodies over the size limit instead of answering 413.",
    caught_by=["test_limits_basics.py::test_json_body_over_limit_is_413"],
)


def render_error(request: Request | None, status: int, message: str, settings: ServerSettings) -> Response:
    faults = settings.faults
    if status == 404 and NOT_FOUND_IS_500.name in faults:
        status = 500
    body = error_body(status, message)
    if ERROR_WITHOUT_MESSAGE.name in faults:
        body.pop("message")
    return Response(json.dumps(body), status_code=status, media_type="application/json")


class LimitAndAuth:
    """Buffers the body up to the limit (413 past it), then applies the API-key gate."""

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.settings.body_limit
        enforce = NO_BODY_LIMIT.name not in self.settings.faults
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_big = bool(enforce and declared and declared.isdigit() and int(declared) > limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if enforce and size > limit:
                too_big = True
            if not too_big:
                chunks.append(chunk)
            if not message.get("more_body"):
                break
        if too_big:  # the body was drained, not kept, so the client can read this answer
            await self._send_error(scope, send, 413, "request entity too large")
            return
        body = b"".join(chunks)
        path = scope["path"]
        if not auth.is_public(path):
            problem = auth.check_header(headers.get(b"authorization"), self.settings)
            if problem:
                await self._send_error(scope, send, 401, problem)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _send_error(self, scope: Scope, send: Send, status: int, message: str) -> None:
        response = render_error(None, status, message, self.settings)
        await response(scope, _drain, send)


async def _drain() -> Message:
    return {"type": "http.disconnect"}


def resource_modules() -> list:  # noqa: ANN201 - modules
    """Every module of this package with a ``routes`` list: adding a resource is adding a file."""
    found = []
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        if isinstance(getattr(module, "routes", None), list):
            found.append(module)
    return found


def create_app(settings: ServerSettings | None = None) -> ASGIApp:
    settings = settings or ServerSettings()
    routes = [route for module in resource_modules() for route in module.routes]

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return render_error(request, exc.status, exc.message, settings)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            message = f"Route {request.method} {request.url.path} not found"
        elif exc.status_code == 405:
            message = f"Method {request.method} not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        response = render_error(request, exc.status_code, message, settings)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def crash(request: Request, exc: Exception) -> Response:
        return render_error(request, 500, f"Internal error: {type(exc).__name__}: {exc}", settings)

    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: crash},
    )
    app.state.settings = settings
    app.state.store = Store(settings.db_path)
    auth.seed_keys(app.state.store, settings)
    return LimitAndAuth(app, settings)


def faults_known() -> list[str]:
    from flowise_conformance.reference.faults import all_faults

    return [f.name for f in all_faults()]


def describe(settings: ServerSettings) -> dict[str, Any]:
    return {"faults": sorted(settings.faults), "body_limit": settings.body_limit}
