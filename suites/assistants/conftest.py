"""Fixtures of the assistants suite: CUSTOM assistants owned by the run.

Only `type: "CUSTOM"` is ever sent: any other create (or a missing type) makes real Flowise call
the OpenAI API. ``post_assistant`` and ``put_assistant`` refuse such a body before it is sent.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Callable

import httpx
import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import HarnessError
from flowise_conformance.fixtures import creating, read_list
from flowise_conformance.tracker import Tracker
from flowise_conformance.ids import item_path


def details_text(name: str, **extra: Any) -> str:
    """The `details` JSON text of a custom assistant."""
    return json.dumps({"name": name, "description": "flowise-conformance", "instruction": "Be brief.", **extra})


@pytest.fixture
def assistant_fields(new_name: Callable[[str], str]) -> Callable[..., dict[str, Any]]:
    """Makes a complete, valid CUSTOM AssistantCreate body with a run-scoped name (fields override)."""

    def make(**fields: Any) -> dict[str, Any]:
        name = fields.pop("name", None) or new_name("assistant")
        return {"details": details_text(name), "credential": str(uuid.uuid4()), "type": "CUSTOM", **fields}

    return make


@pytest.fixture
def post_assistant(api: FlowiseClient, tracker: Tracker) -> Callable[[dict[str, Any]], httpx.Response]:
    """POST /assistants with a CUSTOM body only; whatever it creates is journaled at once."""

    def post(body: dict[str, Any]) -> httpx.Response:
        if body.get("type") != "CUSTOM":
            raise HarnessError("refusing to POST a non-CUSTOM assistant: real Flowise would call the OpenAI API")
        response = api.post("assistants", json=body)
        tracker.track_response("assistant", response)
        return response

    return post


@pytest.fixture
def put_assistant(api: FlowiseClient) -> Callable[[str, dict[str, Any]], httpx.Response]:
    """PUT /assistants/{id}, never with a type other than CUSTOM (that would turn it into an OpenAI one)."""

    def put(assistant_id: str, body: dict[str, Any]) -> httpx.Response:
        if "type" in body and body["type"] != "CUSTOM":
            raise HarnessError("refusing to PUT a non-CUSTOM type: real Flowise would call the OpenAI API later")
        return api.put(item_path("assistants", assistant_id), json=body)

    return put


@pytest.fixture
def create_assistant(api: FlowiseClient, post_assistant, tracker: Tracker, assistant_fields):  # noqa: ANN001, ANN201
    """Creates a CUSTOM assistant; journaled at once and deleted after the test."""
    yield from creating(api, tracker, "assistant", assistant_fields, post=post_assistant)


@pytest.fixture
def assistant(create_assistant: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One CUSTOM assistant owned by this test."""
    return create_assistant()


@pytest.fixture
def listed_assistants(api: FlowiseClient) -> Callable[..., list[dict[str, Any]]]:
    """Reads GET /assistants (with query params); it must answer a JSON array."""
    return lambda **params: read_list(api, "assistant", **params)
