"""GET /api/v1/ping: the probe clients use to see that a Flowise server is up."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_equal, expect_status

pytestmark = [pytest.mark.resource("ping")]


@pytest.mark.level("MUST")
def test_ping_answers_pong(api):
    """GET /ping answers 200 with the body 'pong'."""
    response = api.get("ping")
    expect_status(response, 200)
    expect_equal(response.text.strip(), "pong", "GET /ping does not answer pong", response)


@pytest.mark.level("MUST")
def test_ping_needs_no_api_key(anon):
    """/ping is public: it answers 200 'pong' to a request without an API key."""
    response = anon.get("ping")
    expect_status(response, 200, why="GET /ping without a key must not be refused")
    expect_equal(response.text.strip(), "pong", "GET /ping does not answer pong", response)
