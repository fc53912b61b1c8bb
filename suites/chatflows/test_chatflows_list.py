"""Chatflow list: the ?type= filter, refusal of unknown types, and pages."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import (
    expect, expect_equal, expect_in, expect_json, expect_not_in, expect_status, expect_type,
)
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


def _listed(api, **params):
    response = api.get("chatflows", params=params)
    expect_status(response, 200)
    listed = expect_json(response)
    expect_type(listed, list, f"GET /chatflows must answer a JSON array, got {type(listed).__name__}",
                response=response)
    return listed


@pytest.mark.level("SHOULD")
def test_type_filter_agentflow_lists_only_agentflows(api, create_chatflow):
    """GET /chatflows?type=AGENTFLOW lists the agentflow the test created, not its CHATFLOW, and no other type."""
    agentflow = create_chatflow(type="AGENTFLOW")
    classic = create_chatflow(type="CHATFLOW")
    listed = _listed(api, type="AGENTFLOW")
    ids = {f.get("id") for f in listed if isinstance(f, dict)}
    expect_in(agentflow["id"], ids, "the AGENTFLOW chatflow is missing from ?type=AGENTFLOW")
    expect_not_in(classic["id"], ids, "the CHATFLOW chatflow is listed under ?type=AGENTFLOW")
    others = sorted({f.get("type") for f in listed if isinstance(f, dict)} - {"AGENTFLOW"}, key=str)
    expect(not others, f"?type=AGENTFLOW also listed types {others}", expected='not others', received=others)


@pytest.mark.level("SHOULD")
def test_type_filter_chatflow_lists_only_chatflows(api, create_chatflow):
    """GET /chatflows?type=CHATFLOW lists the CHATFLOW the test created, not its agentflow, and no other type."""
    agentflow = create_chatflow(type="AGENTFLOW")
    classic = create_chatflow(type="CHATFLOW")
    listed = _listed(api, type="CHATFLOW")
    ids = {f.get("id") for f in listed if isinstance(f, dict)}
    expect_in(classic["id"], ids, "the CHATFLOW chatflow is missing from ?type=CHATFLOW")
    expect_not_in(agentflow["id"], ids, "the AGENTFLOW chatflow is listed under ?type=CHATFLOW")
    others = sorted({f.get("type") for f in listed if isinstance(f, dict)} - {"CHATFLOW"}, key=str)
    expect(not others, f"?type=CHATFLOW also listed types {others}", expected='not others', received=others)


@pytest.mark.level("SHOULD")
def test_unknown_type_filter_is_rejected(api):
    """GET /chatflows?type= with a value outside the chatflow types answers 400 or 422 with the error shape."""
    response = api.get("chatflows", params={"type": "FC_NOT_A_TYPE"})
    expect_error(response, why="an unknown ?type= must be refused, not ignored")


@pytest.mark.level("SHOULD")
def test_page_and_limit_answer_a_page(api, chatflow):
    """GET /chatflows?page=1&limit=1 answers {data, total}: at most one chatflow and the total count."""
    response = api.get("chatflows", params={"page": 1, "limit": 1})
    expect_status(response, 200)
    page = expect_schema(expect_json(response), "ChatflowPage", "GET /chatflows?page=1&limit=1")
    expect_equal(len(page["data"]), 1, f"page 1 with limit 1 holds {len(page['data'])} chatflows (one exists at least)",
                 response=response)
    expect(page["total"] >= 1, f"total is {page['total']} although the test created a chatflow",
           expected='page["total"] >= 1', received=page["total"], response=response)
