"""Document store lifecycle: create (empty) -> get -> listed -> update persists (merging) -> delete -> gone."""
from __future__ import annotations

import pytest

import json

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_answer, expect_schema
from flowise_conformance.crud import (
    expect_created, expect_gone, expect_kept, expect_persisted, expect_read, expect_updated, path,
)

pytestmark = [pytest.mark.resource("document-store"), pytest.mark.mutating]

STORES = "document-store/store"


def _as_list(value):  # noqa: ANN001, ANN202
    """loaders/whereUsed as a client reads them: an array, or JSON text of one (the API reference's
    "stored as JSON string", what Flowise's create answers); anything else is None."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, list) else None


def expect_empty_list(value, what, response=None):  # noqa: ANN001, ANN201
    """``value`` is an empty array, or JSON text of one."""
    expect(_as_list(value) == [], f"{what} must be [] (an array, or the JSON text '[]'), got {value!r}",
           expected="[] or '[]'", received=value, response=response)


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="POST /document-store/store: 200 with the DocumentStore (status enum has EMPTY; loaders and whereUsed 'stored as JSON string')",
                    flowise="packages/server/src/Interface.DocumentStore.ts: toEntity sets status EMPTY, loaders and whereUsed '[]'; create answers the entity (JSON text), GET the parsed arrays")
def test_create_returns_an_empty_store(api, tracker, store_fields):
    """POST /document-store/store answers 200 with the new store: an id, the name and description, status EMPTY, no loaders."""
    body = store_fields()
    response = api.post(STORES, json=body)
    tracker.track_response("document_store", response, body["name"])
    store = expect_created(response, body, "document_store")
    expect_equal(store.get("status"), "EMPTY", f"a new store has status {store.get('status')!r}, expected EMPTY",
                 response=response)
    expect_empty_list(store.get("loaders"), "a new store's loaders", response)
    expect_empty_list(store.get("whereUsed"), "a new store's whereUsed", response)


@pytest.mark.level("SHOULD")
@pytest.mark.source("docs+flowise", docs="schema DocumentStore: id, name, description, loaders, whereUsed, status, configs, createdDate, updatedDate",
                    flowise="packages/server/src/database/entities/DocumentStore.ts: the same columns, answered on create")
def test_created_store_matches_the_document_store_schema(store):
    """The store POST /document-store/store answers has the documented fields and types (components/schemas/DocumentStore)."""
    expect_schema(store, "DocumentStore", f"POST /{STORES} answer")


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="GET /document-store/store/{id}: 200 with the DocumentStore",
                    flowise="packages/server/src/controllers/documentstore/index.ts: getDocumentStoreById answers the stored store (DocumentStoreDTO)")
def test_get_returns_the_created_store(api, store):
    """GET /document-store/store/{id} answers 200 with the store as created, still EMPTY with no loaders."""
    got = expect_read(api, "document_store", store, ("id", "name", "description"))
    expect_equal(got.get("status"), "EMPTY", f"status {got.get('status')!r}, expected EMPTY")
    expect_empty_list(got.get("loaders"), "loaders of a new store")


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="GET /document-store/store: 200, an array of DocumentStore",
                    flowise="packages/server/src/controllers/documentstore/index.ts: getAllDocumentStores answers an array without page/limit")
def test_created_store_is_listed(store, listed_stores):
    """GET /document-store/store answers a plain JSON array that contains the store just created."""
    expect_in(store["id"], listed_stores(), "created store not listed")


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="PUT /document-store/store/{id}: updates the details of the store",
                    flowise="packages/server/src/controllers/documentstore/index.ts: updateDocumentStore saves the fields sent")
def test_update_persists(api, store, new_name):
    """PUT /document-store/store/{id} changes the name, and a later GET shows the new name."""
    renamed = new_name("store-renamed")
    response = api.put(path("document_store", store["id"]), json={"name": renamed})
    expect_persisted(api, response, "document_store", store["id"], {"name": renamed})


@pytest.mark.level("SHOULD")
@pytest.mark.source("docs+flowise", docs="PUT /document-store/store/{id}: 200 with the DocumentStore",
                    flowise="packages/server/src/controllers/documentstore/index.ts: updateDocumentStore answers the updated store")
def test_update_answers_the_updated_store(api, store):
    """PUT /document-store/store/{id} answers 200 with the store as it now is (the new description, the same id)."""
    response = api.put(path("document_store", store["id"]), json={"description": "described again"})
    expect_updated(response, "document_store", store["id"], {"description": "described again"})


@pytest.mark.level("MUST")
@pytest.mark.source("flowise", flowise="packages/server/src/controllers/documentstore/index.ts: updateDocumentStore copies only the fields present in the body (name, description, ...)")
def test_update_changes_only_the_fields_sent(api, store, new_name):
    """PUT /document-store/store/{id} with only a name keeps the description."""
    response = api.put(path("document_store", store["id"]), json={"name": new_name("store-renamed")})
    expect_kept(api, response, "document_store", store, ("description",))


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="DELETE /document-store/store/{id}: 200 'Successfully deleted'; GET /document-store/store/{id}: 404",
                    flowise="packages/server/src/services/documentstore/index.ts: deleteDocumentStore removes the store; GET then answers 404")
def test_get_after_delete_is_404(api, store, tracker):
    """DELETE /document-store/store/{id} answers 200, and the store is then gone (GET answers 404)."""
    expect_status(api.delete(path("document_store", store["id"])), 200)
    expect_gone(api, tracker, "document_store", store["id"])


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="DELETE /document-store/store/{id}: deletes the store",
                    flowise="packages/server/src/services/documentstore/index.ts: deleteDocumentStore removes the row, the list no longer has it")
def test_deleted_store_is_not_listed(api, store, listed_stores):
    """After DELETE /document-store/store/{id}, GET /document-store/store no longer lists the store."""
    expect_status(api.delete(path("document_store", store["id"])), 200)
    expect_not_in(store["id"], listed_stores(), "deleted store still listed")


@pytest.mark.level("SHOULD")
@pytest.mark.source("flowise", flowise="packages/server/src/services/documentstore/index.ts: deleteDocumentStore answers {deleted: <affected rows>} (the reference gives no body)")
def test_delete_answers_the_deleted_count(api, store):
    """DELETE /document-store/store/{id} answers the documented {deleted: <count>} object."""
    response = api.delete(path("document_store", store["id"]))
    expect_answer(response, "DocumentStoreDeleteResult", f"DELETE /{STORES}/{{id}} answer")
