"""API-key gate: Bearer keys on every path but Flowise's public ones; the key list.

Public paths are the spec's public operations (``resources.is_public``: their paths up to the first
parameter), as in Flowise's whitelist.
"""
from __future__ import annotations

import hmac
import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ok
from flowise_conformance.reference.store import Store

MAIN_KEY_ID = "00000000-0000-4000-8000-00000000c0de"

BAD_KEY_ACCEPTED = fault(
    "bad-key-accepted",
    "Accepts any Bearer key on protected paths (401 for a wrong key becomes 200).",
    caught_by=[
        "contracts/test_auth_matrix.py::test_protected_operation_with_wrong_key_is_401[listChatflows]",
        "contracts/test_auth_matrix.py::test_protected_operation_with_wrong_key_is_401[deleteTool]",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows]",
    ],
)
MISSING_KEY_ACCEPTED = fault(
    "missing-key-accepted",
    "Serves protected paths to requests without an Authorization header.",
    caught_by=[
        "contracts/test_auth_matrix.py::test_protected_operation_without_key_is_401[listChatflows]",
        "contracts/test_auth_matrix.py::test_protected_operation_without_key_is_401[updateChatflow]",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows]",
    ],
)
SCHEME_IGNORED = fault(
    "auth-scheme-ignored",
    "Takes the key from any Authorization scheme ('Basic <key>', a bare '<key>'), not only 'Bearer <key>'.",
    caught_by=[
        "contracts/test_auth_matrix.py::test_protected_operation_with_malformed_header_is_401[listChatflows]",
        "contracts/test_auth_matrix.py::test_key_without_the_bearer_scheme_is_401",
    ],
)
QUERY_KEY_ACCEPTED = fault(
    "query-key-accepted",
    "Accepts the API key from the query string (?apiKey=, ?api_key=, ?token=) instead of only the header.",
    caught_by=[
        "contracts/test_auth_matrix.py::test_api_key_in_the_query_string_is_refused[apiKey-listChatflows]",
        "contracts/test_auth_matrix.py::test_api_key_in_the_query_string_is_refused[token-listTools]",
    ],
)
QUERY_KEY_NAMES = ("apiKey", "api_key", "token")


def check_header(value: bytes | None, settings) -> str | None:  # noqa: ANN001 - ServerSettings (cycle)
    """None when the header carries the right key as 'Bearer <key>', else the reason for a 401."""
    if value is None:
        if MISSING_KEY_ACCEPTED.name in settings.faults:
            return None
        return "Unauthorized Access: missing API key"
    text = value.decode("latin-1")
    if SCHEME_IGNORED.name in settings.faults:
        text = "Bearer " + text.split(" ", 1)[-1]
    if not text.startswith("Bearer ") or not text[7:]:
        return "Unauthorized Access: use 'Authorization: Bearer <API key>'"
    if BAD_KEY_ACCEPTED.name in settings.faults:
        return None
    if not hmac.compare_digest(text[7:].encode(), settings.api_key.encode()):
        return "Unauthorized Access: invalid API key"
    return None


def query_key_accepted(query_string: bytes, settings) -> bool:  # noqa: ANN001
    """Only with the query-key-accepted fault: the right key in ?apiKey=/?api_key=/?token= lets the request in."""
    if QUERY_KEY_ACCEPTED.name not in settings.faults:
        return False
    from urllib.parse import parse_qsl

    for name, value in parse_qsl(query_string.decode("latin-1")):
        if name in QUERY_KEY_NAMES and hmac.compare_digest(value.encode(), settings.api_key.encode()):
            return True
    return False


def seed_keys(store: Store, settings) -> None:  # noqa: ANN001
    store.insert("apikey", {"id": MAIN_KEY_ID, "keyName": "reference", "apiKey": settings.api_key})


def key_id_for(store: Store, presented: str | None) -> str | None:
    if not presented:
        return None
    for doc in store.all("apikey"):
        if hmac.compare_digest(doc["apiKey"].encode(), presented.encode()):
            return doc["id"]
    return None


def presented_key(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[7:] if value.startswith("Bearer ") else None


async def list_keys(request: Request) -> Response:
    return ok([{**k, "chatFlows": []} for k in request.app.state.store.all("apikey")])


def new_id() -> str:
    return str(uuid.uuid4())


routes = [Route("/api/v1/apikey", list_keys, methods=["GET"])]
