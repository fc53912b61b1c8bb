"""Variables: unknown and malformed ids answer 404 (or 400) with the JSON error shape."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, path, unknown_id

pytestmark = [pytest.mark.resource("variables"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_update_unknown_variable_is_404(api, tracker):
    """PUT /variables/{id} with an id that does not exist answers 404 with the error shape."""
    response = api.put(path("variable", unknown_id()), json={"value": "nobody is here"})
    tracker.track_response("variable", response)
    expect_error(response, 404)


@pytest.mark.level("MUST")
def test_delete_unknown_variable_is_404(api):
    """DELETE /variables/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.delete(path("variable", unknown_id())), 404)


@pytest.mark.level("SHOULD")
def test_update_non_uuid_variable_id_is_400_or_404(api, tracker):
    """PUT /variables/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    response = api.put(path("variable", "not-a-uuid"), json={"value": "nobody is here"})
    tracker.track_response("variable", response)
    expect_error(response, 400, 404)
