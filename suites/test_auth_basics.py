"""API-key auth on a protected operation (GET /chatflows) and a public one (GET /ping)."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_error_shape, expect_status

pytestmark = [pytest.mark.resource("auth")]


@pytest.mark.level("MUST")
def test_missing_key_is_401(anon):
    """A protected operation without an Authorization header answers 401."""
    expect_status(anon.get("chatflows"), 401)


@pytest.mark.level("MUST")
def test_wrong_key_is_401(anon):
    """A protected operation with a wrong Bearer key answers 401."""
    expect_status(anon.get("chatflows", headers={"Authorization": "Bearer fc-wrong-key-0000000000"}), 401)


@pytest.mark.level("MUST")
def test_right_key_is_accepted(api):
    """A protected operation with the right Bearer key answers 200."""
    expect_status(api.get("chatflows"), 200)


@pytest.mark.level("SHOULD")
def test_401_has_error_shape(anon):
    """The 401 body is the documented JSON error {statusCode: 401, success: false, message}."""
    response = anon.get("chatflows")
    expect_status(response, 401)
    expect_error_shape(response)
