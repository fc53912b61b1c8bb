"""Global variables (static and runtime): create, list (optionally paged), update (merge), delete.

There is no GET of one variable, as in Flowise.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from flowise_conformance.reference import inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ok
from flowise_conformance.reference.routing import crud_routes

KIND = "variable"
WHAT = "Variable"
FIELDS = ("name", "value", "type")
TYPES = ("static", "runtime")

DELETE_KEEPS = fault(
    "variable-delete-keeps",
    "DELETE /variables/{id} answers 200 but the variable is still there.",
    caught_by=["variables/test_variables_lifecycle.py::test_deleted_variable_is_not_listed"],
)
UPDATE_REPLACES = fault(
    "variable-update-replaces",
    "PUT /variables/{id} replaces the variable: a type not sent falls back to static.",
    caught_by=["variables/test_variables_lifecycle.py::test_update_changes_only_the_fields_sent"],
)
UPDATE_UNKNOWN_TEXT = fault(
    "variable-update-unknown-text",
    "PUT /variables/{id} of an unknown id answers 404 as text/plain, not the JSON error shape (as Flowise 3.1.4 does).",
    caught_by=[
        "variables/test_variables_errors.py::test_update_unknown_variable_is_404",
        "fuzz/test_fuzz_stateful.py::TestVariableScenarios::test_scenarios",
    ],
)
RUNTIME_AS_STATIC = fault(
    "variable-runtime-as-static",
    "POST /variables stores a runtime variable as static.",
    caught_by=["variables/test_variables_lifecycle.py::test_runtime_variable_keeps_its_type"],
)


def _validate(body: dict[str, Any], *, creating: bool, request: Request) -> dict[str, Any]:
    inputs.known_fields(body, FIELDS, WHAT)
    values = {
        "name": inputs.text(body, "name", WHAT, required=creating, non_empty=True),
        "value": inputs.text(body, "value", WHAT, required=creating),
    }
    values["type"] = inputs.one_of(body, "type", TYPES, WHAT, required=False)
    return {k: v for k, v in values.items() if v is not inputs.MISSING}


def _find(request: Request, variable_id: str) -> dict[str, Any]:
    return inputs.stored_or_404(request, KIND, variable_id, f"Variable {variable_id} not found")


async def list_variables(request: Request) -> Response:
    return ok(inputs.listing(request, inputs.newest_first(request.app.state.store.all(KIND))))


async def create_variable(request: Request) -> Response:
    values = _validate(await inputs.required_body(request), creating=True, request=request)
    kind = values.get("type", "static")
    if RUNTIME_AS_STATIC.on(request) and kind == "runtime":
        kind = "static"
    variable = request.app.state.store.insert_new(KIND, {
        "name": values["name"],
        "value": values["value"],
        "type": kind,
    }, now_iso())
    return ok(variable)


async def update_variable(request: Request) -> Response:
    variable_id = request.path_params["id"]
    if UPDATE_UNKNOWN_TEXT.on(request) and request.app.state.store.get(KIND, variable_id) is None:
        return PlainTextResponse("Variable not found in the database", status_code=404)
    variable = _find(request, variable_id)
    changes = _validate(await inputs.required_body(request), creating=False, request=request)
    if UPDATE_REPLACES.on(request):
        variable = {**variable, "type": "static"}
    updated = {**variable, **changes, "updatedDate": now_iso()}
    request.app.state.store.replace(KIND, updated)
    return ok(updated)


async def delete_variable(request: Request) -> Response:
    variable = _find(request, request.path_params["id"])
    if DELETE_KEEPS.on(request):
        return ok({"raw": [], "affected": 1})
    return ok({"raw": [], "affected": request.app.state.store.delete(KIND, variable["id"])})


routes = crud_routes("/api/v1/variables", list=list_variables, create=create_variable,
                     update=update_variable, delete=delete_variable)
