"""Chatflow list: the ?type= filter, refusal of unknown types, and pages."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_error_shape, expect_json, expect_status
from flowise_conformance.checks.schemas import expect_schema

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


def _listed(api, **params):
    response = api.get("chatflows", params=params)
    expect_status(response, 200)
    listed = expect_json(response)
    assert isinstance(listed, list), f"GET /chatflows must answer a JSON array, got {type(listed).__name__}"
    return listed


@pytest.mark.level("SHOULD")
def test_type_filter_agentflow_lists_only_agentflows(api, create_chatflow):
    """GET /chatflows?type=AGENTFLOW lists the agentflow the test created, not its CHATFLOW, and no other type."""
    agentflow = create_chatflow(type="AGENTFLOW")
    classic = create_chatflow(type="CHATFLOW")
    listed = _listed(api, type="AGENTFLOW")
    ids = {f.get("id") for f in listed if isinstance(f, dict)}
    assert agentflow["id"] in ids, "the AGENTFLOW chatflow is missing from ?type=AGENTFLOW"
    assert classic["id"] not in ids, "the CHATFLOW chatflow is listed under ?type=AGENTFLOW"
    others = sorted({f.get("type") for f in listed if isinstance(f, dict)} - {"AGENTFLOW"}, key=str)
    assert not others, f"?type=AGENTFLOW also listed types {others}"


@pytest.mark.level("SHOULD")
def test_type_filter_chatflow_lists_only_chatflows(api, create_chatflow):
    """GET /chatflows?type=CHATFLOW lists the CHATFLOW the test created, not its agentflow, and no other type."""
    agentflow = create_chatflow(type="AGENTFLOW")
    classic = create_chatflow(type="CHATFLOW")
    listed = _listed(api, type="CHATFLOW")
    ids = {f.get("id") for f in listed if isinstance(f, dict)}
    assert classic["id"] in ids, "the CHATFLOW chatflow is missing from ?type=CHATFLOW"
    assert agentflow["id"] not in ids, "the AGENTFLOW chatflow is listed under ?type=CHATFLOW"
    others = sorted({f.get("type") for f in listed if isinstance(f, dict)} - {"CHATFLOW"}, key=str)
    assert not others, f"?type=CHATFLOW also listed types {others}"


@pytest.mark.level("SHOULD")
def test_unknown_type_filter_is_rejected(api):
    """GET /chatflows?type= with a value outside the chatflow types answers 400 or 422 with the error shape."""
    response = api.get("chatflows", params={"type": "FC_NOT_A_TYPE"})
    expect_status(response, 400, 422, why="an unknown ?type= must be refused, not ignored")
    expect_error_shape(response)


@pytest.mark.level("SHOULD")
def test_page_and_limit_answer_a_page(api, chatflow):
    """GET /chatflows?page=1&limit=1 answers {data, total}: at most one chatflow and the total count."""
    response = api.get("chatflows", params={"page": 1, "limit": 1})
    expect_status(response, 200)
    page = expect_schema(expect_json(response), "ChatflowPage", "GET /chatflows?page=1&limit=1")
    assert len(page["data"]) == 1, f"page 1 with limit 1 holds {len(page['data'])} chatflows (one exists at least)"
    assert page["total"] >= 1, f"total is {page['total']} although the test created a chatflow"
