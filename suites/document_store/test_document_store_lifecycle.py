"""Document store lifecycle: create (empty) -> get -> listed -> update persists (merging) -> delete -> gone."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_equal, expect_in, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_answer, expect_schema
from flowise_conformance.crud import (
    expect_created, expect_gone, expect_kept, expect_persisted, expect_read, expect_updated, path,
)

pytestmark = [pytest.mark.resource("document-store"), pytest.mark.mutating]

STORES = "document-store/store"


@pytest.mark.level("MUST")
def test_create_returns_an_empty_store(api, tracker, store_fields):
    """POST /document-store/store answers 200 with the new store: an id, the name and description, status EMPTY, no loaders."""
    body = store_fields()
    response = api.post(STORES, json=body)
    tracker.track_response("document_store", response, body["name"])
    store = expect_created(response, body, "document_store")
    expect_equal(store.get("status"), "EMPTY", f"a new store has status {store.get('status')!r}, expected EMPTY",
                 response=response)
    expect_equal(store.get("loaders"), [], f"a new store must have loaders [] (an array), got {store.get('loaders')!r}",
                 response=response)
    expect_equal(store.get("whereUsed"), [],
                 f"a new store must have whereUsed [] (an array), got {store.get('whereUsed')!r}", response=response)


@pytest.mark.level("SHOULD")
def test_created_store_matches_the_document_store_schema(store):
    """The store POST /document-store/store answers has the documented fields and types (components/schemas/DocumentStore)."""
    expect_schema(store, "DocumentStore", f"POST /{STORES} answer")


@pytest.mark.level("MUST")
def test_get_returns_the_created_store(api, store):
    """GET /document-store/store/{id} answers 200 with the store as created, still EMPTY with no loaders."""
    got = expect_read(api, "document_store", store, ("id", "name", "description"))
    expect_equal(got.get("status"), "EMPTY", f"status {got.get('status')!r}, expected EMPTY")
    expect_equal(got.get("loaders"), [], f"loaders {got.get('loaders')!r}, expected []")


@pytest.mark.level("MUST")
def test_created_store_is_listed(store, listed_stores):
    """GET /document-store/store answers a plain JSON array that contains the store just created."""
    expect_in(store["id"], listed_stores(), "created store not listed")


@pytest.mark.level("MUST")
def test_update_persists(api, store, new_name):
    """PUT /document-store/store/{id} changes the name, and a later GET shows the new name."""
    renamed = new_name("store-renamed")
    response = api.put(path("document_store", store["id"]), json={"name": renamed})
    expect_persisted(api, response, "document_store", store["id"], {"name": renamed})


@pytest.mark.level("SHOULD")
def test_update_answers_the_updated_store(api, store):
    """PUT /document-store/store/{id} answers 200 with the store as it now is (the new description, the same id)."""
    response = api.put(path("document_store", store["id"]), json={"description": "described again"})
    expect_updated(response, "document_store", store["id"], {"description": "described again"})


@pytest.mark.level("MUST")
def test_update_changes_only_the_fields_sent(api, store, new_name):
    """PUT /document-store/store/{id} with only a name keeps the description."""
    response = api.put(path("document_store", store["id"]), json={"name": new_name("store-renamed")})
    expect_kept(api, response, "document_store", store, ("description",))


@pytest.mark.level("MUST")
def test_get_after_delete_is_404(api, store, tracker):
    """DELETE /document-store/store/{id} answers 200, and the store is then gone (GET answers 404)."""
    expect_status(api.delete(path("document_store", store["id"])), 200)
    expect_gone(api, tracker, "document_store", store["id"])


@pytest.mark.level("MUST")
def test_deleted_store_is_not_listed(api, store, listed_stores):
    """After DELETE /document-store/store/{id}, GET /document-store/store no longer lists the store."""
    expect_status(api.delete(path("document_store", store["id"])), 200)
    expect_not_in(store["id"], listed_stores(), "deleted store still listed")


@pytest.mark.level("SHOULD")
def test_delete_answers_the_deleted_count(api, store):
    """DELETE /document-store/store/{id} answers the documented {deleted: <count>} object."""
    response = api.delete(path("document_store", store["id"]))
    expect_answer(response, "DocumentStoreDeleteResult", f"DELETE /{STORES}/{{id}} answer")
