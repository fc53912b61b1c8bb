"""Variables lifecycle: create (static, runtime) -> listed -> update persists (merging) -> delete -> gone.

There is no GET of one variable: a variable is read back from GET /variables.
"""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_not_in, expect_status
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_created, expect_delete_result, expect_updated, path

pytestmark = [pytest.mark.resource("variables"), pytest.mark.mutating]


@pytest.mark.level("MUST")
def test_create_returns_the_variable_with_an_id(api, tracker, variable_fields):
    """POST /variables answers 200 with the stored static variable: a new id, the name, value and type sent."""
    body = variable_fields()
    response = api.post("variables", json=body)
    tracker.track_response("variable", response, body["name"])
    expect_created(response, body, "variable")


@pytest.mark.level("SHOULD")
def test_created_variable_matches_the_variable_schema(variable):
    """The variable POST /variables answers has the documented fields and types (components/schemas/Variable)."""
    expect_schema(variable, "Variable", "POST /variables answer")


@pytest.mark.level("MUST")
def test_created_variable_is_listed(variable, listed_variables):
    """GET /variables answers a plain JSON array that lists the variable just created, with its value."""
    listed = listed_variables()
    expect_in(variable["id"], listed, "created variable not listed")
    expect_equal(listed[variable["id"]].get("value"), variable["value"],
                 f"listed value {listed[variable['id']].get('value')!r}")


@pytest.mark.level("MUST")
def test_runtime_variable_keeps_its_type(create_variable, listed_variables):
    """A variable created with type runtime is listed with type runtime."""
    variable = create_variable(type="runtime", value="")
    expect_equal(variable.get("type"), "runtime", f"POST answered type {variable.get('type')!r} for a runtime variable")
    listed = listed_variables()
    expect_in(variable["id"], listed, "created runtime variable not listed")
    expect_equal(listed[variable["id"]].get("type"), "runtime", f"listed type {listed[variable['id']].get('type')!r}")


@pytest.mark.level("MUST")
def test_update_persists(api, variable, listed_variables):
    """PUT /variables/{id} changes the value, and GET /variables then lists the new value."""
    response = api.put(path("variable", variable["id"]), json={"value": "fc-changed"})
    expect_status(response, 200)
    listed = listed_variables()
    expect_in(variable["id"], listed, "updated variable not listed")
    expect_equal(listed[variable["id"]].get("value"), "fc-changed",
                 f"listed value after PUT {listed[variable['id']].get('value')!r}")


@pytest.mark.level("SHOULD")
def test_update_answers_the_updated_variable(api, variable):
    """PUT /variables/{id} answers 200 with the variable as it now is (the new value, the same id)."""
    response = api.put(path("variable", variable["id"]), json={"value": "fc-answered"})
    expect_updated(response, "variable", variable["id"], {"value": "fc-answered"})


@pytest.mark.level("MUST")
def test_update_changes_only_the_fields_sent(api, create_variable, listed_variables):
    """PUT /variables/{id} with only a value keeps the name and the runtime type."""
    variable = create_variable(type="runtime", value="")
    expect_status(api.put(path("variable", variable["id"]), json={"value": "fc-only-this"}), 200)
    got = listed_variables().get(variable["id"])
    expect(got is not None, "updated variable not listed", expected='got is not None', received=got)
    expect_equal(got.get("name"), variable["name"], f"name {got.get('name')!r} after a PUT that did not send it")
    expect_equal(got.get("type"), "runtime", f"type {got.get('type')!r} after a PUT that did not send it")


@pytest.mark.level("SHOULD")
def test_update_switches_the_type(api, variable, listed_variables):
    """PUT /variables/{id} with type runtime turns a static variable into a runtime one."""
    expect_status(api.put(path("variable", variable["id"]), json={"type": "runtime"}), 200)
    got = listed_variables().get(variable["id"])
    expect(got is not None, "updated variable not listed", expected='got is not None', received=got)
    expect_equal(got.get("type"), "runtime", f"type {got.get('type')!r} after PUT {{type: runtime}}")


@pytest.mark.level("MUST")
def test_deleted_variable_is_not_listed(api, variable, listed_variables, tracker):
    """DELETE /variables/{id} answers 200, and GET /variables then no longer lists the variable."""
    expect_status(api.delete(path("variable", variable["id"])), 200)
    listed = listed_variables()
    if variable["id"] not in listed:
        tracker.gone("variable", variable["id"])
    expect_not_in(variable["id"], listed, "deleted variable still listed")


@pytest.mark.level("SHOULD")
def test_delete_answers_a_delete_result(api, variable):
    """DELETE /variables/{id} answers the documented DeleteResult object ({affected, raw?})."""
    expect_delete_result(api.delete(path("variable", variable["id"])), "variable")
