"""Variables: bad bodies are rejected with 400 or 422 and the error shape, and change nothing."""
from __future__ import annotations

import pytest

from flowise_conformance.crud import expect_error, expect_nothing_stored, post_tracked
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("variables"), pytest.mark.mutating]


@pytest.mark.level("MUST")
@pytest.mark.parametrize("missing", ["name", "value"])
def test_create_without_required_field_is_rejected(api, tracker, variable_fields, missing):
    """POST /variables without name or without value answers 400 or 422 with the error shape."""
    body = variable_fields()
    del body[missing]
    response = post_tracked(api, tracker, "variable", body)
    expect_error(response, why=f"a variable without '{missing}' must be rejected as bad input")


@pytest.mark.level("MUST")
def test_create_with_non_string_value_is_rejected(api, tracker, variable_fields):
    """POST /variables with an object as value answers 400 or 422 with the error shape."""
    body = variable_fields(value={"not": "a string"})
    expect_error(post_tracked(api, tracker, "variable", body))


@pytest.mark.level("SHOULD")
def test_create_with_unknown_type_is_rejected(api, tracker, variable_fields):
    """POST /variables with a type other than static or runtime answers 400 or 422 with the error shape."""
    body = variable_fields(type="bogus")
    expect_error(post_tracked(api, tracker, "variable", body))


@pytest.mark.level("SHOULD")
def test_rejected_create_stores_nothing(api, tracker, variable_fields):
    """A POST /variables rejected for a missing value leaves no variable of that name behind."""
    body = variable_fields()
    del body["value"]
    expect_nothing_stored(api, post_tracked(api, tracker, "variable", body), "variable", "name", body["name"])


@pytest.mark.level("MUST")
def test_update_with_empty_name_is_rejected(api, variable):
    """PUT /variables/{id} with an empty name answers 400 or 422 with the error shape."""
    expect_error(api.put(item_path("variables", variable['id']), json={"name": ""}))
