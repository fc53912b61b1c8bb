"""Chatflow representations: the stored chatflow and the public streaming and uploads probes."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_json, expect_status
from flowise_conformance.checks.schemas import expect_answer, expect_schema
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_chatflow_matches_the_schema(api, chatflow):
    """GET /chatflows/{id} answers a body valid against the Chatflow schema."""
    expect_answer(api.get(item_path("chatflows", chatflow['id'])), "Chatflow", f"GET /chatflows/{chatflow['id']}")


@pytest.mark.level("MUST")
def test_streaming_probe_answers_is_streaming(anon, chatflow):
    """GET /chatflows-streaming/{id} answers anyone (no key) 200 {isStreaming: boolean}."""
    response = anon.get(item_path("chatflows-streaming", chatflow['id']))
    expect_status(response, 200, why="the streaming probe is public")
    expect_schema(expect_json(response), "ChatflowStreaming", "GET /chatflows-streaming/{id}")


@pytest.mark.level("SHOULD")
def test_uploads_probe_answers_the_upload_configuration(anon, chatflow):
    """GET /chatflows-uploads/{id} answers anyone (no key) 200 with the UploadsConfig fields."""
    response = anon.get(item_path("chatflows-uploads", chatflow['id']))
    expect_status(response, 200, why="the uploads probe is public")
    expect_schema(expect_json(response), "UploadsConfig", "GET /chatflows-uploads/{id}")
