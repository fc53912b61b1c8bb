"""Document store listing: with page and limit the answer is {data, total}; a negative limit is refused."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, expect_paged, path

pytestmark = [pytest.mark.resource("document-store")]


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.source("flowise", flowise="packages/server/src/controllers/documentstore/index.ts: getAllDocumentStores with page and limit answers {total, data}")
def test_paged_list_has_data_and_total(api, store):
    """GET /document-store/store?page=1&limit=1 answers {data, total}: exactly one store, and a total that counts ours."""
    expect_paged(api, "document_store", "DocumentStorePage")


@pytest.mark.level("SHOULD")
@pytest.mark.source("flowise", flowise="packages/server/src/utils/pagination.ts: a negative limit throws 412 'limit cannot be negative!' (a JSON error)")
def test_negative_limit_is_rejected(api):
    """GET /document-store/store?page=1&limit=-1 is refused (400, 412 or 422) with the error shape."""
    expect_error(api.get(path("document_store"), params={"page": 1, "limit": -1}), 400, 412, 422)
