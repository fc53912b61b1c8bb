"""Fixtures of the document store suite: stores owned by the run (journaled, deleted afterwards)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.checks import expect_json, expect_status, expect_type
from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import HarnessError
from flowise_conformance.tracker import Tracker

STORES = "document-store/store"


@pytest.fixture
def store_fields(new_name: Callable[[str], str]) -> Callable[..., dict[str, Any]]:
    """Makes a complete, valid DocumentStoreCreate body with a run-scoped name (fields override)."""

    def make(**fields: Any) -> dict[str, Any]:
        name = fields.pop("name", None) or new_name("store")
        return {"name": name, "description": "flowise-conformance store", **fields}

    return make


@pytest.fixture
def create_store(api: FlowiseClient, tracker: Tracker, store_fields: Callable[..., dict[str, Any]]):  # noqa: ANN201
    """Creates a document store; journaled at once and deleted after the test."""
    made: list[str] = []

    def make(**fields: Any) -> dict[str, Any]:
        body = store_fields(**fields)
        response = api.post(STORES, json=body)
        store = tracker.track_response("document_store", response, body["name"])
        if response.status_code != 200 or not isinstance(store, dict) or "id" not in store:
            raise HarnessError(f"could not create a document store: POST /api/v1/{STORES} answered {response.status_code}")
        made.append(store["id"])
        return store

    yield make
    for store_id in made:
        tracker.delete("document_store", store_id)


@pytest.fixture
def store(create_store: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One empty document store owned by this test."""
    return create_store()


@pytest.fixture
def listed_stores(api: FlowiseClient) -> Callable[[], dict[str, dict[str, Any]]]:
    """Reads GET /document-store/store (it must be a JSON array) as {id: store}."""

    def read() -> dict[str, dict[str, Any]]:
        response = api.get(STORES)
        expect_status(response, 200)
        listed = expect_json(response)
        expect_type(listed, list, f"GET /{STORES} must answer a JSON array, got {type(listed).__name__}",
                    response=response)
        return {s["id"]: s for s in listed if isinstance(s, dict) and isinstance(s.get("id"), str)}

    return read
