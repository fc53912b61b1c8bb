"""The one JSON error shape: unknown routes and malformed bodies get the Error envelope.

Every 4xx/5xx answer any hand-written test receives is also checked by the error-shape hook
(flowise_conformance/plugins/error_shape.py); these tests provoke the errors every server has.
"""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("errors")]


@pytest.mark.level("SHOULD")
def test_unknown_route_is_404_json(api, new_name):
    """An unknown path under /api/v1 answers 404 with the JSON error shape."""
    expect_error(api.get(item_path("/api/v1", new_name('no-such-route'))), 404)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_malformed_json_body_is_400_json(api):
    """A body that is not JSON, sent as application/json to a protected operation, answers 400 with the error shape."""
    response = api.post("chatflows", content=b'{"name": "fc-malformed", ', headers={"Content-Type": "application/json"})
    expect_error(response, 400, why="malformed JSON must be refused as bad input")


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_malformed_json_body_on_a_public_operation_is_400_json(anon, chatflow):
    """A body that is not JSON, sent to the public prediction operation, answers 400 with the error shape."""
    response = anon.post(item_path("prediction", chatflow['id']), content=b'{"question": ',
                         headers={"Content-Type": "application/json"})
    expect_error(response, 400, why="malformed JSON must be refused as bad input")
