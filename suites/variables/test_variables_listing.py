"""Variables listing: with page and limit the answer is {data, total}."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, expect_paged, path

pytestmark = [pytest.mark.resource("variables")]


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
def test_paged_list_has_data_and_total(api, variable):
    """GET /variables?page=1&limit=1 answers {data, total}: exactly one variable, and a total that counts ours."""
    expect_paged(api, "variable", "VariablePage")


@pytest.mark.level("SHOULD")
def test_negative_page_is_rejected(api):
    """GET /variables?page=-1&limit=1 answers 400 or 422 with the error shape."""
    expect_error(api.get(path("variable"), params={"page": -1, "limit": 1}))
