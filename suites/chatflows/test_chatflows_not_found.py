"""Unknown chatflow ids: every chatflow path answers 404 (or 400 for a malformed id) with the error shape."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, path, unknown_id
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows")]


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_update_unknown_chatflow_is_404(api, new_name):
    """PUT /chatflows/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.put(path("chatflow", unknown_id()), json={"name": new_name("ghost")}), 404)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_delete_unknown_chatflow_is_404(api):
    """DELETE /chatflows/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(api.delete(path("chatflow", unknown_id())), 404)


@pytest.mark.level("MUST")
def test_get_malformed_chatflow_id_is_400_or_404(api):
    """GET /chatflows/{id} with an id that is not a uuid answers 400 or 404 with the error shape."""
    expect_error(api.get(path("chatflow", "fc-not-a-uuid")), 400, 404)


@pytest.mark.level("SHOULD")
def test_streaming_probe_of_unknown_chatflow_is_404(anon):
    """GET /chatflows-streaming/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(anon.get(item_path("chatflows-streaming", unknown_id())), 404)


@pytest.mark.level("SHOULD")
def test_uploads_probe_of_unknown_chatflow_is_404(anon):
    """GET /chatflows-uploads/{id} with an id that does not exist answers 404 with the error shape."""
    expect_error(anon.get(item_path("chatflows-uploads", unknown_id())), 404)
