"""Document store listing: with page and limit the answer is {data, total}."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_error_shape, expect_json, expect_status
from flowise_conformance.checks.schemas import expect_schema

pytestmark = [pytest.mark.resource("document-store")]

STORES = "document-store/store"


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
def test_paged_list_has_data_and_total(api, store):
    """GET /document-store/store?page=1&limit=1 answers {data, total}: exactly one store, and a total that counts ours."""
    response = api.get(STORES, params={"page": 1, "limit": 1})
    expect_status(response, 200)
    page = expect_schema(expect_json(response), "DocumentStorePage", f"GET /{STORES}?page=1&limit=1 answer")
    expect(page["total"] >= 1, f"total {page['total']} although a store exists", expected='page["total"] >= 1',
           received=page["total"], response=response)
    expect_equal(len(page["data"]), 1,
                 f"limit=1 with total {page['total']} must give exactly one store, got {len(page['data'])}",
                 response=response)


@pytest.mark.level("SHOULD")
def test_negative_limit_is_rejected(api):
    """GET /document-store/store?page=1&limit=-1 answers 400 or 422 with the error shape."""
    response = api.get(STORES, params={"page": 1, "limit": -1})
    expect_status(response, 400, 422)
    expect_error_shape(response)
