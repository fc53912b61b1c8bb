"""Tools listing: with page and limit the answer is {data, total}."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, expect_paged, path

pytestmark = [pytest.mark.resource("tools")]


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
def test_paged_list_has_data_and_total(api, tool):
    """GET /tools?page=1&limit=1 answers {data, total}: at most one tool, and a total that counts ours."""
    expect_paged(api, "tool", "ToolPage")


@pytest.mark.level("SHOULD")
def test_negative_limit_is_rejected(api):
    """GET /tools?page=1&limit=-1 answers 400 or 422 with the error shape."""
    expect_error(api.get(path("tool"), params={"page": 1, "limit": -1}))
