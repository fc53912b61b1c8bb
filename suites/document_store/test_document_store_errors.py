"""Document stores: unknown and malformed ids answer 404 (or 400) with the JSON error shape."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, path, unknown_id

pytestmark = [pytest.mark.resource("document-store")]


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="GET /document-store/store/{id}: 404 'Document store not found'",
                    flowise="packages/server/src/services/documentstore/index.ts: getDocumentStoreById throws 404 'Document store ... not found'")
def test_get_unknown_store_is_404(api):
    """GET /document-store/store/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.get(path("document_store", unknown_id())), 404)


@pytest.mark.level("MUST")
@pytest.mark.source("docs+flowise", docs="PUT /document-store/store/{id}: 404 'Document store not found'",
                    flowise="packages/server/src/controllers/documentstore/index.ts: updateDocumentStore throws 404 when the store is not found")
@pytest.mark.mutating
def test_update_unknown_store_is_404(api, tracker):
    """PUT /document-store/store/{id} with an id that does not exist answers 404 with the error shape."""
    response = api.put(path("document_store", unknown_id()), json={"name": "nobody is here"})
    tracker.track_response("document_store", response)
    expect_error(response, 404)


@pytest.mark.level("MUST")
@pytest.mark.source("docs", docs="DELETE /document-store/store/{id}: 404 'Document store not found'",
                    flowise="observed 3.1.4: answers 500 (the service wraps its own 'Document store ... not found')")
@pytest.mark.mutating
def test_delete_unknown_store_is_404(api):
    """DELETE /document-store/store/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.delete(path("document_store", unknown_id())), 404)


@pytest.mark.level("SHOULD")
@pytest.mark.source("docs+flowise", docs="GET /document-store/store/{id}: id is format uuid; 404 'Document store not found'",
                    flowise="observed 3.1.4: GET of id 'not-a-uuid' answers 404 with a JSON error")
def test_get_non_uuid_store_id_is_400_or_404(api):
    """GET /document-store/store/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    expect_error(api.get(path("document_store", "not-a-uuid")), 400, 404)
