"""Variables: bad bodies are rejected with 400 or 422 and the error shape, and change nothing."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_not_in, expect_refused
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("variables"), pytest.mark.mutating]


@pytest.mark.level("MUST")
@pytest.mark.parametrize("missing", ["name", "value"])
def test_create_without_required_field_is_rejected(api, tracker, variable_fields, missing):
    """POST /variables without name or without value answers 400 or 422 with the error shape."""
    body = variable_fields()
    del body[missing]
    response = api.post("variables", json=body)
    tracker.track_response("variable", response, body.get("name"))
    expect_error(response, why=f"a variable without '{missing}' must be rejected as bad input")


@pytest.mark.level("MUST")
def test_create_with_non_string_value_is_rejected(api, tracker, variable_fields):
    """POST /variables with an object as value answers 400 or 422 with the error shape."""
    body = variable_fields(value={"not": "a string"})
    response = api.post("variables", json=body)
    tracker.track_response("variable", response, body["name"])
    expect_error(response)


@pytest.mark.level("SHOULD")
def test_create_with_unknown_type_is_rejected(api, tracker, variable_fields):
    """POST /variables with a type other than static or runtime answers 400 or 422 with the error shape."""
    body = variable_fields(type="bogus")
    response = api.post("variables", json=body)
    tracker.track_response("variable", response, body["name"])
    expect_error(response)


@pytest.mark.level("SHOULD")
def test_rejected_create_stores_nothing(api, tracker, variable_fields, listed_variables):
    """A POST /variables rejected for a missing value leaves no variable of that name behind."""
    body = variable_fields()
    del body["value"]
    response = api.post("variables", json=body)
    tracker.track_response("variable", response, body["name"])
    expect_refused(response, "The bad request was accepted (this test checks only that nothing changed)")
    names = {v.get("name") for v in listed_variables().values()}
    expect_not_in(body["name"], names, "a rejected create stored a variable")


@pytest.mark.level("MUST")
def test_update_with_empty_name_is_rejected(api, variable):
    """PUT /variables/{id} with an empty name answers 400 or 422 with the error shape."""
    expect_error(api.put(item_path("variables", variable['id']), json={"name": ""}))
