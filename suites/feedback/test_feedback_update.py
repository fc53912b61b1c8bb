"""Updating feedback: PUT /feedback/{feedbackId} changes only the fields sent, and the change persists."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_status
from flowise_conformance.checks.schemas import expect_answer, expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("feedback"), pytest.mark.requires("feedback"), pytest.mark.mutating]


def stored(api, flow_id, feedback_id):  # noqa: ANN001, ANN201
    """The feedback as GET /feedback/{flow_id} lists it now."""
    response = api.get(item_path("feedback", flow_id))
    expect_status(response, 200)
    found = [f for f in expect_json(response) if isinstance(f, dict) and f.get("id") == feedback_id]
    expect_equal(len(found), 1, f"feedback {feedback_id} is listed {len(found)} times", response=response)
    return found[0]


@pytest.mark.source('flowise', flowise="packages/server/src/services/feedback/index.ts: update answers {status: 'OK'} (the docs: ChatMessageFeedback; both accepted)")
@pytest.mark.level("MUST")
def test_update_answers_status_ok(api, feedback):
    """PUT /feedback/{id} answers 200 with {"status": "OK"} (Flowise) or the feedback (the API reference)."""
    response = api.put(item_path("feedback", feedback['id']), json={"rating": "THUMBS_DOWN"})
    expect_status(response, 200)
    body = expect_json(response)
    if isinstance(body, dict) and body.get("id") == feedback["id"]:
        expect_schema(body, "Feedback", "PUT /feedback/{id} answer (the feedback)")
    else:
        expect_answer(response, "FeedbackUpdateResult", "PUT /feedback/{id} answer")


@pytest.mark.source('docs+flowise', docs='PUT /feedback/{id}: Update a specific feedback', flowise='packages/server/src/services/feedback/index.ts: updates the row')
@pytest.mark.level("MUST")
def test_update_persists(api, answer, feedback):
    """After PUT /feedback/{id} with a new rating and content, the list shows the new values."""
    change = {"rating": "THUMBS_DOWN", "content": "fc changed my mind"}
    expect_status(api.put(item_path("feedback", feedback['id']), json=change), 200)
    now = stored(api, answer["chatflowid"], feedback["id"])
    got = {k: now.get(k) for k in change}
    expect_equal(got, change, f"after PUT the feedback has {got}, expected {change}")


@pytest.mark.source('flowise', flowise='packages/server/src/services/feedback/index.ts: update merges the fields sent')
@pytest.mark.level("MUST")
def test_update_of_content_keeps_rating(api, answer, feedback):
    """PUT /feedback/{id} with only content changes the content and keeps the rating."""
    expect_status(api.put(item_path("feedback", feedback['id']), json={"content": "fc only the words"}), 200)
    now = stored(api, answer["chatflowid"], feedback["id"])
    expect_equal(now.get("content"), "fc only the words", f"content is {now.get('content')!r}")
    expect_equal(now.get("rating"), feedback["rating"],
                 f"rating became {now.get('rating')!r}, was {feedback['rating']!r}")


@pytest.mark.source('flowise', flowise='packages/server/src/utils/constants.ts: /api/v1/feedback is in WHITELIST_URLS (the docs declare bearerAuth, so MAY)')
@pytest.mark.level("MAY")
def test_update_needs_no_api_key(api, anon, answer, feedback):
    """PUT /feedback/{id} is public: without an Authorization header it answers 200 and the change persists."""
    expect_status(anon.put(item_path("feedback", feedback['id']), json={"rating": "THUMBS_DOWN"}), 200)
    expect_equal(stored(api, answer["chatflowid"], feedback["id"]).get("rating"), "THUMBS_DOWN",
                 "An update sent without a key did not persist")


@pytest.mark.source('docs+flowise', docs='PUT /feedback/{id}: 404 Feedback with the specified ID was not found', flowise='packages/server/src/services/feedback/validation.ts: 404 feedback not found')
@pytest.mark.level("MUST")
def test_update_of_unknown_feedback_is_404(api):
    """PUT /feedback/{id} with a feedback id that does not exist answers 404 with the error shape."""
    expect_error(api.put(item_path("feedback", uuid.uuid4()), json={"rating": "THUMBS_UP"}), 404)


@pytest.mark.source('docs', docs='PUT /feedback/{id}: rating enum THUMBS_UP|THUMBS_DOWN; 400 Invalid input provided', flowise='observed 3.1.4: any rating answers 200')
@pytest.mark.level("MUST")
def test_update_with_unknown_rating_is_rejected(api, feedback):
    """PUT /feedback/{id} with a rating outside THUMBS_UP/THUMBS_DOWN answers 400 or 422 with the error shape."""
    expect_error(api.put(item_path("feedback", feedback['id']), json={"rating": "MEH"}))
