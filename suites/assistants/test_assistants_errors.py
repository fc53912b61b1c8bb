"""Assistants: unknown and malformed ids answer 404 (or 400) with the JSON error shape."""
from __future__ import annotations

import json

import pytest

from flowise_conformance.crud import expect_error, path, unknown_id

pytestmark = [pytest.mark.resource("assistants")]


@pytest.mark.level("MUST")
def test_get_unknown_assistant_is_404(api):
    """GET /assistants/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.get(path("assistant", unknown_id())), 404)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_update_unknown_assistant_is_404(put_assistant):
    """PUT /assistants/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(put_assistant(unknown_id(), {"details": json.dumps({"name": "nobody"})}), 404)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_delete_unknown_assistant_is_404(api):
    """DELETE /assistants/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.delete(path("assistant", unknown_id())), 404)


@pytest.mark.level("SHOULD")
def test_get_non_uuid_assistant_id_is_400_or_404(api):
    """GET /assistants/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    expect_error(api.get(path("assistant", "not-a-uuid")), 400, 404)
