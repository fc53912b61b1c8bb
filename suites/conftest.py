"""Fixtures shared by every suite: objects the tests need, created and owned by the run.

``FLOWISE_CONFORMANCE_SUITES`` (paths.SUITES_FLAG) marks this directory as the suites' root:
the plugin guards every session that loads this conftest, wherever the directory is.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import HarnessError
from flowise_conformance.fixtures import chatflow_body, creating
from flowise_conformance.tracker import Tracker

FLOWISE_CONFORMANCE_SUITES = True


@pytest.fixture
def create_chatflow(api: FlowiseClient, tracker: Tracker, new_name: Callable[[str], str]):  # noqa: ANN201
    """Creates an LLM-free answering chatflow (run-scoped name), journaled and deleted afterwards."""

    def body(name: str | None = None, **fields: Any) -> dict[str, Any]:
        return chatflow_body(name or new_name("chatflow"), **fields)

    yield from creating(api, tracker, "chatflow", body)


@pytest.fixture
def chatflow(create_chatflow: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One answering chatflow owned by this test."""
    return create_chatflow()


@pytest.fixture
def suite_key_id(api: FlowiseClient) -> str:
    """The id of the suite's own API key, found in GET /api/v1/apikey by its value (never shown)."""
    import hmac

    from flowise_conformance.client import json_or_none

    response = api.get("apikey")
    listed = json_or_none(response)
    if isinstance(listed, dict):
        listed = listed.get("data")
    if response.status_code != 200 or not isinstance(listed, list):
        raise HarnessError(f"cannot find the suite's API key id: GET /api/v1/apikey answered {response.status_code}")
    ours = (api.target.api_key or "").encode()
    for entry in listed:
        value = entry.get("apiKey") if isinstance(entry, dict) else None
        if isinstance(value, str) and ours and hmac.compare_digest(value.encode(), ours) and isinstance(entry.get("id"), str):
            return entry["id"]
    raise HarnessError("the suite's API key is not among the keys GET /api/v1/apikey lists")
