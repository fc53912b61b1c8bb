"""Custom assistants lifecycle: create -> get -> listed -> update persists (merging) -> delete -> gone."""
from __future__ import annotations

import json

import pytest

from flowise_conformance.checks import (
    expect, expect_equal, expect_in, expect_json, expect_not_in, expect_status, expect_type,
)
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("assistants"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_create_returns_the_assistant_with_an_id(post_assistant, assistant_fields):
    """POST /assistants (type CUSTOM) answers 200 with the stored assistant: a new id, details, credential and type sent."""
    body = assistant_fields()
    response = post_assistant(body)
    expect_status(response, 200)
    assistant = expect_json(response)
    expect_type(assistant, dict, f"POST /assistants must answer a JSON object, got {type(assistant).__name__}",
                response=response)
    expect(isinstance(assistant.get("id"), str) and assistant["id"], f"no id in {assistant!r}",
           expected='isinstance(assistant.get("id"), str) and assistant["id"]', received=assistant.get("id"),
           response=response)
    for field, sent in body.items():
        expect_equal(assistant.get(field), sent, f"{field}: answered {assistant.get(field)!r}, sent {sent!r}",
                     response=response)


@pytest.mark.level("SHOULD")
def test_created_assistant_matches_the_assistant_schema(assistant):
    """The assistant POST /assistants answers has the documented fields and types (components/schemas/Assistant)."""
    expect_schema(assistant, "Assistant", "POST /assistants answer")


@pytest.mark.level("MUST")
def test_get_returns_the_created_assistant(api, assistant):
    """GET /assistants/{id} answers 200 with the assistant as created."""
    response = api.get(item_path("assistants", assistant['id']))
    expect_status(response, 200)
    got = expect_json(response)
    expect_type(got, dict, f"GET /assistants/{{id}} must answer a JSON object, got {type(got).__name__}",
                response=response)
    for field in ("id", "details", "credential", "type"):
        expect_equal(got.get(field), assistant[field], f"{field}: got {got.get(field)!r}, created {assistant[field]!r}",
                     response=response)


@pytest.mark.level("MUST")
def test_created_assistant_is_listed(assistant, listed_assistants):
    """GET /assistants answers a plain JSON array that contains the assistant just created."""
    expect_in(assistant["id"], {a.get("id") for a in listed_assistants()}, "created assistant not listed")


@pytest.mark.level("MUST")
def test_update_persists(api, assistant, put_assistant):
    """PUT /assistants/{id} with new details, and a later GET shows the new details."""
    details = json.loads(assistant["details"])
    details["name"] = f"{details['name']}-renamed"
    new_details = json.dumps(details)
    expect_status(put_assistant(assistant["id"], {"details": new_details}), 200)
    again = api.get(item_path("assistants", assistant['id']))
    expect_status(again, 200)
    got = expect_json(again)
    expect_equal(got.get("details"), new_details, f"after PUT the details are {got.get('details')!r}", response=again)


@pytest.mark.level("SHOULD")
def test_update_answers_the_updated_assistant(assistant, put_assistant):
    """PUT /assistants/{id} answers 200 with the assistant as it now is (the new iconSrc, the same id)."""
    response = put_assistant(assistant["id"], {"iconSrc": "https://example.invalid/fc-icon.png"})
    expect_status(response, 200)
    got = expect_json(response)
    expect_type(got, dict, f"PUT /assistants/{{id}} must answer a JSON object, got {type(got).__name__}",
                response=response)
    expect_equal(got.get("id"), assistant["id"], f"PUT answered id {got.get('id')!r}, expected {assistant['id']!r}",
                 response=response)
    expect_equal(got.get("iconSrc"), "https://example.invalid/fc-icon.png",
                 f"PUT answered iconSrc {got.get('iconSrc')!r}", response=response)


@pytest.mark.level("MUST")
def test_update_changes_only_the_fields_sent(api, assistant, put_assistant):
    """PUT /assistants/{id} with only iconSrc keeps details, credential and type as they were."""
    expect_status(put_assistant(assistant["id"], {"iconSrc": "https://example.invalid/fc-icon.png"}), 200)
    got_response = api.get(item_path("assistants", assistant['id']))
    got = expect_json(got_response, 200)
    for field in ("details", "credential", "type"):
        expect_equal(got.get(field), assistant[field],
                     f"{field}: {got.get(field)!r} after a PUT that did not send it, was {assistant[field]!r}",
                     response=got_response)


@pytest.mark.level("MUST")
def test_get_after_delete_is_404(api, assistant, tracker):
    """DELETE /assistants/{id} answers 200, and the assistant is then gone (GET answers 404)."""
    expect_status(api.delete(item_path("assistants", assistant['id'])), 200)
    gone = api.get(item_path("assistants", assistant['id']))
    if gone.status_code == 404:
        tracker.gone("assistant", assistant["id"])
    expect_status(gone, 404, why="a deleted assistant must no longer be served")


@pytest.mark.level("MUST")
def test_deleted_assistant_is_not_listed(api, assistant, listed_assistants):
    """After DELETE /assistants/{id}, GET /assistants no longer lists the assistant."""
    expect_status(api.delete(item_path("assistants", assistant['id'])), 200)
    expect_not_in(assistant["id"], {a.get("id") for a in listed_assistants()}, "deleted assistant still listed")


@pytest.mark.level("SHOULD")
def test_delete_answers_a_delete_result(api, assistant):
    """DELETE /assistants/{id} answers the documented DeleteResult object ({affected, raw?})."""
    response = api.delete(item_path("assistants", assistant['id']))
    expect_status(response, 200)
    expect_schema(expect_json(response), "DeleteResult", "DELETE /assistants/{id} answer")
