"""Custom assistants lifecycle: create -> get -> listed -> update persists (merging) -> delete -> gone."""
from __future__ import annotations

import json

import pytest

from flowise_conformance.checks import expect_in, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import (
    expect_created, expect_delete_result, expect_gone, expect_kept, expect_persisted, expect_read, expect_updated, path,
)

pytestmark = [pytest.mark.resource("assistants"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_create_returns_the_assistant_with_an_id(post_assistant, assistant_fields):
    """POST /assistants (type CUSTOM) answers 200 with the stored assistant: a new id, details, credential and type sent."""
    body = assistant_fields()
    expect_created(post_assistant(body), body, "assistant")


@pytest.mark.level("SHOULD")
def test_created_assistant_matches_the_assistant_schema(assistant):
    """The assistant POST /assistants answers has the documented fields and types (components/schemas/Assistant)."""
    expect_schema(assistant, "Assistant", "POST /assistants answer")


@pytest.mark.level("MUST")
def test_get_returns_the_created_assistant(api, assistant):
    """GET /assistants/{id} answers 200 with the assistant as created."""
    expect_read(api, "assistant", assistant, ("id", "details", "credential", "type"))


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
    response = put_assistant(assistant["id"], {"details": new_details})
    expect_persisted(api, response, "assistant", assistant["id"], {"details": new_details})


@pytest.mark.level("SHOULD")
def test_update_answers_the_updated_assistant(assistant, put_assistant):
    """PUT /assistants/{id} answers 200 with the assistant as it now is (the new iconSrc, the same id)."""
    changes = {"iconSrc": "https://example.invalid/fc-icon.png"}
    expect_updated(put_assistant(assistant["id"], changes), "assistant", assistant["id"], changes)


@pytest.mark.level("MUST")
def test_update_changes_only_the_fields_sent(api, assistant, put_assistant):
    """PUT /assistants/{id} with only iconSrc keeps details, credential and type as they were."""
    response = put_assistant(assistant["id"], {"iconSrc": "https://example.invalid/fc-icon.png"})
    expect_kept(api, response, "assistant", assistant, ("details", "credential", "type"))


@pytest.mark.level("MUST")
def test_get_after_delete_is_404(api, assistant, tracker):
    """DELETE /assistants/{id} answers 200, and the assistant is then gone (GET answers 404)."""
    expect_status(api.delete(path("assistant", assistant["id"])), 200)
    expect_gone(api, tracker, "assistant", assistant["id"])


@pytest.mark.level("MUST")
def test_deleted_assistant_is_not_listed(api, assistant, listed_assistants):
    """After DELETE /assistants/{id}, GET /assistants no longer lists the assistant."""
    expect_status(api.delete(path("assistant", assistant["id"])), 200)
    expect_not_in(assistant["id"], {a.get("id") for a in listed_assistants()}, "deleted assistant still listed")


@pytest.mark.level("SHOULD")
def test_delete_answers_a_delete_result(api, assistant):
    """DELETE /assistants/{id} answers the documented DeleteResult object ({affected, raw?})."""
    expect_delete_result(api.delete(path("assistant", assistant["id"])), "assistant")
