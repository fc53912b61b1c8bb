"""Variables: unknown and malformed ids answer 404 (or 400) with the JSON error shape."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect_error_shape, expect_status
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("variables"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_update_unknown_variable_is_404(api, tracker):
    """PUT /variables/{id} with an id that does not exist answers 404 with the error shape."""
    response = api.put(item_path("variables", uuid.uuid4()), json={"value": "nobody is here"})
    tracker.track_response("variable", response)
    expect_status(response, 404)
    expect_error_shape(response)


@pytest.mark.level("MUST")
def test_delete_unknown_variable_is_404(api):
    """DELETE /variables/{id} with an id that does not exist answers 404 with the error shape."""
    response = api.delete(item_path("variables", uuid.uuid4()))
    expect_status(response, 404)
    expect_error_shape(response)


@pytest.mark.level("SHOULD")
def test_update_non_uuid_variable_id_is_400_or_404(api, tracker):
    """PUT /variables/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    response = api.put("variables/not-a-uuid", json={"value": "nobody is here"})
    tracker.track_response("variable", response)
    expect_status(response, 400, 404)
    expect_error_shape(response)
