"""Unknown routes get the documented JSON error, not an HTML page."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_error_shape, expect_status

pytestmark = [pytest.mark.resource("errors")]


@pytest.mark.level("SHOULD")
def test_unknown_route_is_404_json(api, new_name):
    """An unknown path under /api/v1 answers 404 with the JSON error shape."""
    response = api.get(f"/api/v1/{new_name('no-such-route')}")
    expect_status(response, 404)
    expect_error_shape(response)
