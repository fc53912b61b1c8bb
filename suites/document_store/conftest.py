"""Fixtures of the document store suite: stores owned by the run (journaled, deleted afterwards)."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.fixtures import by_id, creating, read_list
from flowise_conformance.tracker import Tracker


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
    yield from creating(api, tracker, "document_store", store_fields)


@pytest.fixture
def store(create_store: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One empty document store owned by this test."""
    return create_store()


@pytest.fixture
def listed_stores(api: FlowiseClient) -> Callable[[], dict[str, dict[str, Any]]]:
    """Reads GET /document-store/store (it must be a JSON array) as {id: store}."""
    return lambda: by_id(read_list(api, "document_store"))
