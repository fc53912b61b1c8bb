"""Tools: unknown and malformed ids answer 404 (or 400) with the JSON error shape."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, path, unknown_id

pytestmark = [pytest.mark.resource("tools")]


@pytest.mark.level("MUST")
def test_get_unknown_tool_is_404(api):
    """GET /tools/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.get(path("tool", unknown_id())), 404)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_update_unknown_tool_is_404(api, tracker):
    """PUT /tools/{id} with an id that does not exist answers 404 with the error shape."""
    response = api.put(path("tool", unknown_id()), json={"description": "nobody is here"})
    tracker.track_response("tool", response)
    expect_error(response, 404)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_delete_unknown_tool_is_404(api):
    """DELETE /tools/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.delete(path("tool", unknown_id())), 404)


@pytest.mark.level("SHOULD")
def test_get_non_uuid_tool_id_is_400_or_404(api):
    """GET /tools/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    expect_error(api.get(path("tool", "not-a-uuid")), 400, 404)
