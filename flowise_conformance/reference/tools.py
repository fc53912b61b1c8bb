"""Custom tools: create, list (optionally paged), get, update (merge), delete."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from flowise_conformance.reference import inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, ok
from flowise_conformance.reference.routing import crud_routes

KIND = "tool"
WHAT = "Tool"
FIELDS = ("name", "description", "color", "iconSrc", "schema", "func")
REQUIRED = ("name", "description", "color")
NULLABLE = ("iconSrc", "schema", "func")

UPDATE_NOT_PERSISTED = fault(
    "tool-update-not-persisted",
    "PUT /tools/{id} answers with the new values but does not store them.",
    caught_by=["tools/test_tools_lifecycle.py::test_update_persists"],
)
UPDATE_REPLACES = fault(
    "tool-update-replaces",
    "PUT /tools/{id} replaces the tool: optional fields not sent are reset to null.",
    caught_by=["tools/test_tools_lifecycle.py::test_update_changes_only_the_fields_sent"],
)
DELETE_UNKNOWN_200 = fault(
    "tool-delete-unknown-200",
    "DELETE /tools/{id} of an unknown id answers 200 {raw:[],affected:0} (as Flowise 3.1.4 does).",
    caught_by=["tools/test_tools_errors.py::test_delete_unknown_tool_is_404"],
)
MISSING_FIELD_500 = fault(
    "tool-missing-field-500",
    "POST /tools without color answers 500 (a storage constraint) instead of 400.",
    caught_by=["tools/test_tools_validation.py::test_create_without_required_field_is_rejected[color]"],
)


GET_NOT_FOUND = fault(
    "tool-get-not-found",
    "GET /tools/{id} answers 404 for a tool that exists (a created tool cannot be fetched).",
    caught_by=[
        "tools/test_tools_lifecycle.py::test_get_returns_the_created_tool",
        "fuzz/test_fuzz_stateful.py::TestToolScenarios::test_scenarios",
    ],
)


def _validate(body: dict[str, Any], *, creating: bool, request: Request) -> dict[str, Any]:
    inputs.known_fields(body, FIELDS, WHAT)
    if creating and "color" not in body and MISSING_FIELD_500.on(request):
        raise ApiError(500, "Error: toolsService.createTool - NOT NULL constraint failed: tool.color")
    values: dict[str, Any] = {}
    for key in REQUIRED:
        values[key] = inputs.text(body, key, WHAT, required=creating, non_empty=True)
    for key in NULLABLE:
        values[key] = inputs.text(body, key, WHAT, required=False, nullable=True)
    return {k: v for k, v in values.items() if v is not inputs.MISSING}


def find(request: Request, tool_id: str) -> dict[str, Any]:
    return inputs.stored_or_404(request, KIND, tool_id, f"Tool {tool_id} not found")


async def list_tools(request: Request) -> Response:
    return ok(inputs.listing(request, inputs.newest_first(request.app.state.store.all(KIND))))


async def create_tool(request: Request) -> Response:
    values = _validate(await inputs.required_body(request), creating=True, request=request)
    tool = request.app.state.store.insert_new(KIND, {k: values.get(k) for k in FIELDS}, now_iso())
    return ok(tool)


async def get_tool(request: Request) -> Response:
    tool = find(request, request.path_params["id"])
    if GET_NOT_FOUND.on(request):
        raise ApiError(404, f"Tool {tool['id']} not found")
    return ok(tool)


async def update_tool(request: Request) -> Response:
    tool = find(request, request.path_params["id"])
    changes = _validate(await inputs.required_body(request), creating=False, request=request)
    if UPDATE_REPLACES.on(request):
        tool = {**tool, **{k: None for k in NULLABLE}}
    updated = {**tool, **changes, "updatedDate": now_iso()}
    if not UPDATE_NOT_PERSISTED.on(request):
        request.app.state.store.replace(KIND, updated)
    return ok(updated)


async def delete_tool(request: Request) -> Response:
    tool_id = request.path_params["id"]
    if DELETE_UNKNOWN_200.on(request) and request.app.state.store.get(KIND, tool_id) is None:
        return ok({"raw": [], "affected": 0})
    find(request, tool_id)
    return ok({"raw": [], "affected": request.app.state.store.delete(KIND, tool_id)})


routes = crud_routes("/api/v1/tools", list=list_tools, create=create_tool, get=get_tool,
                     update=update_tool, delete=delete_tool)
