"""Chatflow list: the ?type= filter, refusal of unknown types, and pages."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_json, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.fixtures import read_list

pytestmark = [pytest.mark.resource("chatflows"), pytest.mark.mutating]


def _expect_type_filter(api, create_chatflow, wanted, other):  # noqa: ANN001, ANN202
    """?type=<wanted> lists the test's flow of that type, not its flow of the other type, and no other type."""
    flows = {"AGENTFLOW": create_chatflow(type="AGENTFLOW"), "CHATFLOW": create_chatflow(type="CHATFLOW")}
    listed = read_list(api, "chatflow", type=wanted)
    ids = {f.get("id") for f in listed}
    expect_in(flows[wanted]["id"], ids, f"the {wanted} chatflow is missing from ?type={wanted}")
    expect_not_in(flows[other]["id"], ids, f"the {other} chatflow is listed under ?type={wanted}")
    others = sorted({f.get("type") for f in listed} - {wanted}, key=str)
    expect(not others, f"?type={wanted} also listed types {others}", expected='not others', received=others)


@pytest.mark.level("SHOULD")
def test_type_filter_agentflow_lists_only_agentflows(api, create_chatflow):
    """GET /chatflows?type=AGENTFLOW lists the agentflow the test created, not its CHATFLOW, and no other type."""
    _expect_type_filter(api, create_chatflow, "AGENTFLOW", "CHATFLOW")


@pytest.mark.level("SHOULD")
def test_type_filter_chatflow_lists_only_chatflows(api, create_chatflow):
    """GET /chatflows?type=CHATFLOW lists the CHATFLOW the test created, not its agentflow, and no other type."""
    _expect_type_filter(api, create_chatflow, "CHATFLOW", "AGENTFLOW")


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
