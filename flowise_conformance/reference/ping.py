"""GET /api/v1/ping: the liveness probe every client uses; public."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from flowise_conformance.reference.faults import fault

PING_NEEDS_KEY = fault(
    "ping-needs-key",
    "GET /ping, a public path, answers 401 to requests without an API key.",
    caught_by=[
        "test_ping.py::test_ping_needs_no_api_key",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/ping]",
    ],
)


async def ping(request: Request) -> Response:
    if PING_NEEDS_KEY.on(request) and "authorization" not in request.headers:
        from flowise_conformance.reference.responses import error_response

        return error_response(401, "Unauthorized Access: missing API key")
    return PlainTextResponse("pong")


routes = [Route("/api/v1/ping", ping, methods=["GET"])]
