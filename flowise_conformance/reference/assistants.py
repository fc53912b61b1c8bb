"""Custom assistants (type CUSTOM only): create, list (type filter), get, update (merge), delete.

OpenAI and Azure assistants need the internet, so the contract (and this server) only creates
CUSTOM ones; the list filter still knows the three types.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from flowise_conformance.reference import inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, ok
from flowise_conformance.reference.routing import crud_routes

KIND = "assistant"
WHAT = "Assistant"
FIELDS = ("details", "credential", "iconSrc", "type")
CREATABLE_TYPES = ("CUSTOM",)
LISTED_TYPES = ("CUSTOM", "OPENAI", "AZURE")

TYPE_FILTER_IGNORED = fault(
    "assistant-type-filter-ignored",
    "GET /assistants?type=... ignores the filter and lists every assistant.",
    caught_by=["assistants/test_assistants_listing.py::test_type_filter_excludes_other_types"],
)
UNKNOWN_IS_500 = fault(
    "assistant-unknown-500",
    "GET/PUT/DELETE /assistants/{id} of an unknown id answer 500 instead of 404 (as Flowise 3.1.4 does).",
    caught_by=[
        "assistants/test_assistants_errors.py::test_get_unknown_assistant_is_404",
        "assistants/test_assistants_errors.py::test_update_unknown_assistant_is_404",
        "assistants/test_assistants_errors.py::test_delete_unknown_assistant_is_404",
    ],
)
DETAILS_NOT_PARSED = fault(
    "assistant-details-not-parsed",
    "POST /assistants stores details that are not JSON text instead of rejecting them.",
    caught_by=["assistants/test_assistants_validation.py::test_create_with_details_not_json_is_rejected"],
)
UPDATE_REPLACES = fault(
    "assistant-update-replaces",
    "PUT /assistants/{id} replaces the assistant: details and iconSrc not sent are lost.",
    caught_by=["assistants/test_assistants_lifecycle.py::test_update_changes_only_the_fields_sent"],
)


def _details(value: str, request: Request, *, creating: bool) -> None:
    if creating and DETAILS_NOT_PARSED.on(request):
        return
    parsed = inputs.json_object_text(value, "Assistant 'details'")
    name = parsed.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Assistant 'details' must hold a non-empty 'name'")
    for key in ("description", "instruction"):
        if key in parsed and not isinstance(parsed[key], str):
            raise ApiError(400, f"Assistant 'details.{key}' must be a string")


def _validate(body: dict[str, Any], *, creating: bool, request: Request) -> dict[str, Any]:
    inputs.known_fields(body, FIELDS, WHAT)
    values = {
        "type": inputs.one_of(body, "type", CREATABLE_TYPES, WHAT, required=creating),
        "details": inputs.text(body, "details", WHAT, required=creating),
        "credential": inputs.uuid_text(body, "credential", WHAT, required=creating),
        "iconSrc": inputs.text(body, "iconSrc", WHAT, required=False, nullable=True),
    }
    if values["details"] is not inputs.MISSING:
        _details(values["details"], request, creating=creating)
    return {k: v for k, v in values.items() if v is not inputs.MISSING}


def _find(request: Request, assistant_id: str) -> dict[str, Any]:
    assistant = request.app.state.store.get(KIND, assistant_id)
    if assistant is None:
        if UNKNOWN_IS_500.on(request):
            raise ApiError(500, f"Error: assistantsService - Assistant {assistant_id} not found")
        raise ApiError(404, f"Assistant {assistant_id} not found")
    return assistant


async def list_assistants(request: Request) -> Response:
    assistants = request.app.state.store.all(KIND)
    wanted = request.query_params.get("type")
    if wanted is not None:
        if wanted not in LISTED_TYPES:
            raise ApiError(400, f"Invalid assistant type: must be one of {', '.join(LISTED_TYPES)}")
        if not TYPE_FILTER_IGNORED.on(request):
            assistants = [a for a in assistants if a.get("type") == wanted]
    return ok(assistants)


async def create_assistant(request: Request) -> Response:
    values = _validate(await inputs.required_body(request), creating=True, request=request)
    assistant = request.app.state.store.insert_new(KIND, {
        "details": values["details"],
        "credential": values["credential"],
        "iconSrc": values.get("iconSrc"),
        "type": values["type"],
    }, now_iso())
    return ok(assistant)


async def get_assistant(request: Request) -> Response:
    return ok(_find(request, request.path_params["id"]))


async def update_assistant(request: Request) -> Response:
    assistant = _find(request, request.path_params["id"])
    changes = _validate(await inputs.required_body(request), creating=False, request=request)
    if UPDATE_REPLACES.on(request):
        assistant = {**assistant, "details": "{}", "iconSrc": None}
    updated = {**assistant, **changes, "updatedDate": now_iso()}
    request.app.state.store.replace(KIND, updated)
    return ok(updated)


async def delete_assistant(request: Request) -> Response:
    assistant = _find(request, request.path_params["id"])
    return ok({"raw": [], "affected": request.app.state.store.delete(KIND, assistant["id"])})


routes = crud_routes("/api/v1/assistants", list=list_assistants, create=create_assistant, get=get_assistant,
                     update=update_assistant, delete=delete_assistant)
