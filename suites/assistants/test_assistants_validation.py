"""Assistants: bad bodies are rejected with 400 or 422 and the error shape, and change nothing.

Every body here has type CUSTOM (see conftest): the checks are about details and credential.
"""
from __future__ import annotations

import json

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_refused
from flowise_conformance.crud import expect_error, expect_nothing_stored
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("assistants"), pytest.mark.mutating]


@pytest.mark.level("MUST")
@pytest.mark.parametrize("missing", ["details", "credential"])
def test_create_without_required_field_is_rejected(post_assistant, assistant_fields, missing):
    """POST /assistants (CUSTOM) without details or without credential answers 400 or 422 with the error shape."""
    body = assistant_fields()
    del body[missing]
    expect_error(post_assistant(body), why=f"an assistant without '{missing}' must be rejected as bad input")


@pytest.mark.level("MUST")
def test_create_with_details_not_json_is_rejected(post_assistant, assistant_fields):
    """POST /assistants with details that are not JSON text answers 400 or 422 with the error shape."""
    expect_error(post_assistant(assistant_fields(details="this is not json")))


@pytest.mark.level("MUST")
def test_create_with_details_as_object_is_rejected(post_assistant, assistant_fields, new_name):
    """POST /assistants with details sent as a JSON object (not a string) answers 400 or 422 with the error shape."""
    expect_error(post_assistant(assistant_fields(details={"name": new_name("assistant")})))


@pytest.mark.level("SHOULD")
def test_create_with_details_without_name_is_rejected(post_assistant, assistant_fields):
    """POST /assistants with details that hold no name answers 400 or 422 with the error shape."""
    expect_error(post_assistant(assistant_fields(details=json.dumps({"description": "no name here"}))))


@pytest.mark.level("SHOULD")
def test_rejected_create_stores_nothing(api, post_assistant, assistant_fields):
    """A POST /assistants rejected for a missing credential leaves no assistant with those details behind."""
    body = assistant_fields()
    del body["credential"]
    expect_nothing_stored(api, post_assistant(body), "assistant", "details", body["details"])


@pytest.mark.level("MUST")
def test_update_with_details_not_json_is_rejected(assistant, put_assistant):
    """PUT /assistants/{id} with details that are not JSON text answers 400 or 422 with the error shape."""
    expect_error(put_assistant(assistant["id"], {"details": "this is not json"}))


@pytest.mark.level("SHOULD")
def test_rejected_update_changes_nothing(api, assistant, put_assistant):
    """A PUT /assistants/{id} rejected for details without a name leaves the assistant as it was."""
    response = put_assistant(assistant["id"], {"details": json.dumps({"description": "no name"}), "iconSrc": "x.png"})
    expect_refused(response, "The bad request was accepted (this test checks only that nothing changed)")
    got_response = api.get(item_path("assistants", assistant['id']))
    got = expect_json(got_response, 200)
    expect_equal(got.get("details"), assistant["details"], f"details are {got.get('details')!r} after a rejected PUT",
                 response=got_response)
    expect_equal(got.get("iconSrc"), assistant.get("iconSrc"),
                 f"iconSrc is {got.get('iconSrc')!r} after a rejected PUT", response=got_response)
