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
import importlib.util
import pkgutil
import sys

import flowise_conformance.reference as _package
from flowise_conformance import paths
from flowise_conformance.reference import auth
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, error_body
from flowise_conformance.reference.store import Store
from flowise_conformance.resources import is_public

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
        "contracts/test_error_shape.py::test_unknown_route_is_404_json",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows/{id}]",
    ],
)
ERROR_WITHOUT_MESSAGE = fault(
    "error-no-message",
    "Error bodies lose their 'message' field.",
    caught_by=[
        "contracts/test_error_shape.py::test_unknown_route_is_404_json",
        "contracts/test_error_shape.py::test_malformed_json_body_is_400_json",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows/{id}]",
    ],
)
WRONG_SHAPE_404 = fault(
    "error-shape-404",
    "404 answers carry {\"error\": <message>} instead of the Error envelope (status right, shape wrong).",
    caught_by=[
        "contracts/test_error_shape.py::test_unknown_route_is_404_json",
        "chatflows/test_chatflows_lifecycle.py::test_get_unknown_chatflow_is_404",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows/{id}]",
    ],
)
NO_BODY_LIMIT = fault(
    "no-413",
    "Accepts bodies over the size limit instead of answering 413.",
    caught_by=[
        "contracts/test_body_limits.py::test_json_body_over_the_limit_is_413",
        "contracts/test_body_limits.py::test_urlencoded_body_over_the_limit_is_413",
        "contracts/test_body_limits.py::test_chunked_body_over_the_limit_is_413",
        "contracts/test_body_limits.py::test_multipart_body_over_the_limit_is_413",
    ],
)
CHUNKED_UNLIMITED = fault(
    "no-413-chunked",
    "The size limit is checked against Content-Length only: a chunked body of any size is accepted.",
    caught_by=["contracts/test_body_limits.py::test_chunked_body_over_the_limit_is_413"],
)
LIMIT_EXCLUSIVE = fault(
    "body-limit-exclusive",
    "A body of exactly the size limit is refused with 413 (the limit is the largest accepted size).",
    caught_by=[
        "contracts/test_body_limits.py::test_json_body_at_the_limit_is_accepted",
        "contracts/test_body_limits.py::test_chunked_body_at_the_limit_is_accepted",
    ],
)
OVERSIZE_BREAKS = fault(
    "oversize-breaks-server",
    "After answering a 413 the server is broken: every later request is answered 503.",
    caught_by=["contracts/test_body_limits.py::test_server_answers_ping_after_an_oversized_body"],
)
AUTH_AFTER_LOOKUP = fault(
    "auth-after-lookup",
    "Protected GET requests are routed before the key check: an unknown id answers 404 instead of 401.",
    caught_by=["contracts/test_auth_matrix.py::test_protected_operation_without_key_is_401[getTool]"],
)
STREAMING_ERROR_SILENT = fault(
    "streaming-error-silent",
    'Like Flowise 3.1.4: a request whose JSON body has "streaming": true and that fails is never answered.',
    caught_by=["contracts/test_sse.py::test_streaming_request_that_fails_first_gets_a_json_error"],
)


def render_error(request: Request | None, status: int, message: str, settings: ServerSettings) -> Response:
    """The one way an error leaves the server: the Error envelope as JSON (faults aside)."""
    faults = settings.faults
    if status == 404 and NOT_FOUND_IS_500.name in faults:
        status = 500
    if status == 404 and WRONG_SHAPE_404.name in faults:
        return Response(json.dumps({"error": message}), status_code=404, media_type="application/json")
    body = error_body(status, message)
    if ERROR_WITHOUT_MESSAGE.name in faults:
        body.pop("message")
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _asks_to_stream(body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and parsed.get("streaming") in (True, "true")


class LimitAndAuth:
    """Buffers the body up to the limit (413 past it), then applies the API-key gate.

    The limit is inclusive: a body of exactly ``body_limit`` bytes is accepted. It is counted
    on the bytes received, so a chunked body without Content-Length is limited too; a body
    over the limit is drained, not kept, so the client can read the 413.
    """

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.settings = settings
        self.broken = False  # the oversize-breaks-server fault fired

    def _on(self, fault_: Any) -> bool:
        return fault_.name in self.settings.faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.broken:
            await self._send_error(scope, send, 503, "the server is broken (fault oversize-breaks-server)")
            return
        limit = self.settings.body_limit - (1 if self._on(LIMIT_EXCLUSIVE) else 0)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        enforce = not self._on(NO_BODY_LIMIT) and not (self._on(CHUNKED_UNLIMITED) and declared is None)
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
            self.broken = self._on(OVERSIZE_BREAKS)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if self._on(STREAMING_ERROR_SILENT) and _asks_to_stream(body):
            send = _silence_errors(send)
        path = scope["path"]
        if not is_public(path):
            problem = auth.check_header(headers.get(b"authorization"), self.settings)
            if problem and auth.query_key_accepted(scope.get("query_string", b""), self.settings):
                problem = None
            if problem:
                if self._on(AUTH_AFTER_LOOKUP) and scope["method"] == "GET":
                    await self._route_first(scope, replay, send, problem)
                else:
                    await self._send_error(scope, send, 401, problem)
                if getattr(send, "silenced", False):
                    await _wait_for_disconnect(receive)
                return
        await self.app(scope, replay, send)
        if getattr(send, "silenced", False):
            await _wait_for_disconnect(receive)

    async def _route_first(self, scope: Scope, receive: Receive, send: Send, problem: str) -> None:
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        if captured and captured[0].get("status") == 404:
            for message in captured:
                await send(message)
        else:
            await self._send_error(scope, send, 401, problem)

    async def _send_error(self, scope: Scope, send: Send, status: int, message: str) -> None:
        response = render_error(None, status, message, self.settings)
        await response(scope, _drain, send)


def _silence_errors(send: Send) -> Send:
    """A send that swallows an error answer (status >= 400) entirely, as Flowise's handler does."""

    async def silent(message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status", 200) >= 400:
            silent.silenced = True  # type: ignore[attr-defined]
        if getattr(silent, "silenced", False):
            return
        await send(message)

    silent.silenced = False  # type: ignore[attr-defined]
    return silent


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _drain() -> Message:
    return {"type": "http.disconnect"}


def resource_modules() -> list:  # noqa: ANN201 - modules
    """Every module of this package with a ``routes`` list: adding a resource is adding a file.
    Then those of ``paths.extra_reference_modules()`` (a self-test's tree), imported from their files."""
    found = []
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        if isinstance(getattr(module, "routes", None), list):
            found.append(module)
    for file in paths.extra_reference_modules():
        name = f"{_package.__name__}._extra_{file.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, file)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
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
