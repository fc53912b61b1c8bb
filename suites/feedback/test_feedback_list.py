"""Listing a chatflow's feedback: the shape, the order and the chatId and date filters.

All tests but the last read one shared scenario (``rated_flow``: three ratings in two chats,
made more than a second apart) and never change it.
"""
from __future__ import annotations

import pytest

from flowise_conformance.chats import read_objects
from flowise_conformance.checks import expect, expect_equal, expect_json, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("feedback"), pytest.mark.requires("feedback"), pytest.mark.mutating]


def listed_ids(api, flow_id, **params):  # noqa: ANN001, ANN201
    """GET /feedback/{flow_id} with ``params``: the ids in the order listed (200 and an array required)."""
    return [f.get("id") for f in read_objects(api, "feedback", flow_id, "feedback", **params)]


@pytest.mark.source('docs+flowise', docs='GET /feedback/{id}: array of ChatMessageFeedback', flowise="packages/server/src/services/feedback/index.ts: lists the chatflow's feedback")
@pytest.mark.level("MUST")
def test_listed_feedback_matches_the_feedback_schema(api, rated_flow):
    """Every item of GET /feedback/{chatflowId} matches the Feedback schema and names that chatflow."""
    response = api.get(item_path("feedback", rated_flow.flow_id))
    expect_status(response, 200)
    items = expect_json(response)
    expect(isinstance(items, list) and len(items) == 3, f"expected the scenario's 3 feedback, got {str(items)[:300]}",
           expected='isinstance(items, list) and len(items) == 3', received=items, response=response)
    for item in items:
        expect_schema(item, "Feedback", f"feedback {item.get('id') if isinstance(item, dict) else item!r}")
        expect_equal(item["chatflowid"], rated_flow.flow_id,
                     f"feedback {item['id']} names chatflow {item['chatflowid']}")


@pytest.mark.source('docs+flowise', docs='GET /feedback/{id}: query chatId filters feedbacks', flowise='packages/server/src/services/feedback/index.ts: where chatId')
@pytest.mark.level("MUST")
def test_list_filters_by_chat_id(api, rated_flow):
    """GET /feedback/{chatflowId}?chatId=X lists exactly the feedback of chat X."""
    got = listed_ids(api, rated_flow.flow_id, chatId=rated_flow.chat_a)
    expect_equal(set(got), {rated_flow.first["id"], rated_flow.third["id"]}, f"chatId=A listed {got}")


@pytest.mark.source('docs+flowise', docs='GET /feedback/{id}: sortOrder default asc', flowise='packages/server/src/services/feedback/index.ts: order createdDate ASC by default')
@pytest.mark.level("MUST")
def test_list_is_oldest_first_by_default(api, rated_flow):
    """Without order, GET /feedback/{chatflowId} lists by createdDate ascending."""
    got = listed_ids(api, rated_flow.flow_id)
    expect_equal(got, [f["id"] for f in rated_flow.all],
                 f"listed {got}, created in the order {[f['id'] for f in rated_flow.all]}")


@pytest.mark.source('flowise', flowise="packages/server/src/controllers/feedback/index.ts: reads query 'order' as the sort order")
@pytest.mark.level("MUST")
def test_list_order_desc_is_newest_first(api, rated_flow):
    """With order=DESC, GET /feedback/{chatflowId} lists by createdDate descending."""
    got = listed_ids(api, rated_flow.flow_id, order="DESC")
    wanted = [f["id"] for f in reversed(rated_flow.all)]
    expect_equal(got, wanted, f"order=DESC listed {got}, expected {wanted}")


@pytest.mark.source('docs', docs='GET /feedback/{id}: query sortOrder asc|desc', flowise="packages/server/src/controllers/feedback/index.ts: reads only 'order', sortOrder ignored")
@pytest.mark.level("SHOULD")
def test_list_sort_order_desc_is_newest_first(api, rated_flow):
    """With sortOrder=desc (the documented spelling), GET /feedback/{chatflowId} lists newest first."""
    got = listed_ids(api, rated_flow.flow_id, sortOrder="desc")
    wanted = [f["id"] for f in reversed(rated_flow.all)]
    expect_equal(got, wanted, f"sortOrder=desc listed {got}, expected {wanted}")


@pytest.mark.source('docs', docs="GET /feedback/{id}: startDate 'starting from', endDate 'up to'", flowise='observed 3.1.4: a feedback at exactly startDate is left out')
@pytest.mark.level("MUST")
def test_list_date_range_is_inclusive(api, rated_flow):
    """startDate = endDate = a feedback's createdDate lists exactly that feedback."""
    instant = rated_flow.second["createdDate"]
    got = listed_ids(api, rated_flow.flow_id, startDate=instant, endDate=instant)
    expect_equal(got, [rated_flow.second["id"]], f"[{instant}, {instant}] listed {got}")


@pytest.mark.source('docs', docs="GET /feedback/{id}: startDate 'Filter feedbacks starting from this date'", flowise='packages/server/src/services/feedback/index.ts: applies dates only when both are given')
@pytest.mark.level("MUST")
def test_list_start_date_alone_leaves_out_older(api, rated_flow):
    """startDate alone lists the feedback created at or after it and leaves out older ones."""
    instant = rated_flow.second["createdDate"]
    got = listed_ids(api, rated_flow.flow_id, startDate=instant)
    expect_equal(set(got), {rated_flow.second["id"], rated_flow.third["id"]}, f"startDate={instant} listed {got}")


@pytest.mark.source('docs', docs="GET /feedback/{id}: endDate 'Filter feedbacks up to this date'", flowise='packages/server/src/services/feedback/index.ts: applies dates only when both are given')
@pytest.mark.level("MUST")
def test_list_end_date_alone_leaves_out_newer(api, rated_flow):
    """endDate alone lists the feedback created at or before it and leaves out newer ones."""
    instant = rated_flow.second["createdDate"]
    got = listed_ids(api, rated_flow.flow_id, endDate=instant)
    expect_equal(set(got), {rated_flow.first["id"], rated_flow.second["id"]}, f"endDate={instant} listed {got}")


@pytest.mark.source('docs', docs='GET /feedback/{id}: startDate format date-time', flowise='observed 3.1.4: not-a-date answers 200')
@pytest.mark.level("MUST")
def test_list_invalid_date_is_rejected(api, chatflow):
    """GET /feedback/{chatflowId}?startDate=<not a date> answers 400 or 422 with the error shape."""
    expect_error(api.get(item_path("feedback", chatflow['id']), params={"startDate": "not-a-date"}))
