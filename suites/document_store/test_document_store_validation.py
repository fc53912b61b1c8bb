"""Document stores: bad bodies are rejected with 400 or 422 and the error shape, and change nothing.
An empty name is not a bad body: neither the API reference nor Flowise refuses it."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_refused
from flowise_conformance.crud import expect_error, expect_nothing_stored, post_tracked
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("document-store"), pytest.mark.mutating]

STORES = "document-store/store"


@pytest.mark.level("MUST")
@pytest.mark.source("docs", docs="POST /document-store/store: 400 'Invalid request body'",
                    flowise="packages/server/src/database/entities/DocumentStore.ts: name is NOT NULL; observed 3.1.4: a create without name answers 500 (SQLITE_CONSTRAINT)")
def test_create_without_name_is_rejected(api, tracker):
    """POST /document-store/store without a name answers 400 or 422 with the error shape."""
    expect_error(post_tracked(api, tracker, "document_store", {"description": "a store without a name"}))


@pytest.mark.level("MUST")
@pytest.mark.source("docs", docs="POST /document-store/store: 400 'Invalid request body'; schema DocumentStore: name is a string",
                    flowise="observed 3.1.4: a list as name is stored and answered back (200)")
def test_create_with_non_string_name_is_rejected(api, tracker):
    """POST /document-store/store with a list as name answers 400 or 422 with the error shape."""
    expect_error(post_tracked(api, tracker, "document_store", {"name": ["not", "a", "string"]}))


@pytest.mark.level("MAY")
@pytest.mark.source("none", why="neither the API reference (name: a string, no minimum length) nor Flowise (stores '') refuses an empty name; a server MAY refuse it (a nameless store is hard to tell apart) with the error shape, or keep it as sent")
def test_update_with_empty_name_is_refused_or_kept(api, store):
    """PUT /document-store/store/{id} with an empty name is either refused (400 or 422, the error shape) or
    stores the name as sent (''): not a server error. (An update of the run's own store, not a create: a
    store created nameless could never be proven the run's, so its cleanup would have to leave it.)"""
    response = api.put(item_path(STORES, store["id"]), json={"name": ""})
    if response.status_code == 200:
        updated = expect_json(response, 200)
        expect_equal(updated.get("name") if isinstance(updated, dict) else updated, "",
                     "an accepted empty name must be stored as sent", response=response)
    else:
        expect_error(response)


@pytest.mark.level("SHOULD")
@pytest.mark.source("flowise", flowise="observed 3.1.4: a create without name fails at the insert and leaves no store behind")
def test_rejected_create_stores_nothing(api, tracker, new_name):
    """A POST /document-store/store rejected for a missing name leaves no store with that description behind."""
    body = {"description": new_name("rejected-store")}
    response = post_tracked(api, tracker, "document_store", body)
    expect_nothing_stored(api, response, "document_store", "description", body["description"])


@pytest.mark.level("MUST")
@pytest.mark.source("docs", docs="introduction: 400 Bad Request - Invalid input or malformed request (schema DocumentStore: name is a string)",
                    flowise="packages/server/src/database/entities/DocumentStore.ts: name is NOT NULL; observed 3.1.4: PUT {name: null} answers 500 (SQLITE_CONSTRAINT)")
def test_update_with_null_name_is_rejected(api, store):
    """PUT /document-store/store/{id} with name null answers 400 or 422 with the error shape."""
    expect_error(api.put(item_path(STORES, store['id']), json={"name": None}))


@pytest.mark.level("SHOULD")
@pytest.mark.source("flowise", flowise="observed 3.1.4: a PUT with name null fails at the save and leaves the store as it was")
def test_rejected_update_changes_nothing(api, store):
    """A PUT /document-store/store/{id} rejected for a null name leaves the store as it was."""
    response = api.put(item_path(STORES, store['id']), json={"name": None, "description": "must not be stored"})
    expect_refused(response, "The bad request was accepted (this test checks only that nothing changed)")
    got_response = api.get(item_path(STORES, store['id']))
    got = expect_json(got_response, 200)
    expect_equal(got.get("name"), store["name"], f"name is {got.get('name')!r} after a rejected PUT",
                 response=got_response)
    expect_equal(got.get("description"), store["description"],
                 f"description is {got.get('description')!r} after a rejected PUT", response=got_response)
