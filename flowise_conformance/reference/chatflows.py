"""Chatflows: CRUD, the list with its type filter and pages, lookup by API key, streaming and upload probes."""
from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import auth, inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, error_response, json_body, ok
from flowise_conformance.reference.routing import crud_routes

KIND = "chatflow"
WHAT = "Chatflow"
TYPES = ("CHATFLOW", "AGENTFLOW", "MULTIAGENT", "ASSISTANT")
BOOLEAN_FIELDS = ("deployed", "isPublic")
JSON_TEXT_FIELDS = (
    "chatbotConfig", "apiConfig", "analytic", "speechToText", "textToSpeech", "followUpPrompts", "mcpServerConfig",
)
NULLABLE_TEXT_FIELDS = ("apikeyid", "category")
OPTIONAL_FIELDS = (*BOOLEAN_FIELDS, *NULLABLE_TEXT_FIELDS, *JSON_TEXT_FIELDS)
WRITABLE_FIELDS = ("name", "flowData", "type", *OPTIONAL_FIELDS)

UPDATE_NOT_PERSISTED = fault(
    "chatflow-update-not-persisted",
    "PUT /chatflows/{id} answers with the new values but does not store them.",
    caught_by=["chatflows/test_chatflows_lifecycle.py::test_update_persists"],
)
UPDATE_REPLACES = fault(
    "chatflow-update-replaces",
    "PUT /chatflows/{id} replaces the chatflow: fields not sent are reset instead of kept.",
    caught_by=[
        "chatflows/test_chatflows_lifecycle.py::test_update_persists",
        "chatflows/test_chatflows_update.py::test_update_of_flow_data_keeps_name_and_type",
        "chatflows/test_chatflows_update.py::test_update_of_category_keeps_flow_data",
    ],
)
DELETE_KEEPS = fault(
    "chatflow-delete-keeps",
    "DELETE /chatflows/{id} answers 200 but the chatflow (and its messages) are still there.",
    caught_by=[
        "chatflows/test_chatflows_lifecycle.py::test_get_after_delete_is_404",
        "chatflows/test_chatflows_delete.py::test_delete_takes_the_messages_along",
        "fuzz/test_fuzz_stateful.py::TestChatflowScenarios::test_scenarios",
    ],
)
NOT_LISTED = fault(
    "chatflow-not-listed",
    "GET /chatflows leaves out the most recently created chatflow.",
    caught_by=["chatflows/test_chatflows_lifecycle.py::test_created_chatflow_is_listed"],
)
TYPE_FILTER_IGNORED = fault(
    "chatflow-type-filter-ignored",
    "GET /chatflows ignores ?type= (lists every type and accepts unknown types).",
    caught_by=[
        "chatflows/test_chatflows_list.py::test_type_filter_agentflow_lists_only_agentflows",
        "chatflows/test_chatflows_list.py::test_type_filter_chatflow_lists_only_chatflows",
        "chatflows/test_chatflows_list.py::test_unknown_type_filter_is_rejected",
    ],
)
FLOW_DATA_UNCHECKED = fault(
    "chatflow-flowdata-unchecked",
    "POST/PUT /chatflows store any flowData: missing, not JSON text, or not a string.",
    caught_by=[
        "chatflows/test_chatflows_validation.py::test_create_without_flow_data_is_rejected",
        "chatflows/test_chatflows_validation.py::test_create_with_flow_data_not_json_is_rejected",
        "chatflows/test_chatflows_validation.py::test_create_with_flow_data_object_is_rejected",
        "chatflows/test_chatflows_validation.py::test_update_with_flow_data_not_json_is_rejected",
        "chatflows/test_chatflows_validation.py::test_refused_update_changes_nothing",
    ],
)
NAME_UNCHECKED = fault(
    "chatflow-name-unchecked",
    "POST /chatflows accepts a chatflow without a name.",
    caught_by=[
        "chatflows/test_chatflows_validation.py::test_create_without_name_is_rejected",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[POST /api/v1/chatflows]",
    ],
)
TYPE_UNCHECKED = fault(
    "chatflow-type-unchecked",
    "POST/PUT /chatflows store any type; a create without type becomes CHATFLOW.",
    caught_by=[
        "chatflows/test_chatflows_validation.py::test_create_with_unknown_type_is_rejected",
        "chatflows/test_chatflows_validation.py::test_create_without_type_is_rejected",
        "chatflows/test_chatflows_validation.py::test_update_with_unknown_type_is_rejected",
    ],
)
UNKNOWN_WRITE_OK = fault(
    "chatflow-unknown-write-ok",
    "PUT and DELETE /chatflows/{id} answer 200 for an unknown id instead of 404.",
    caught_by=[
        "chatflows/test_chatflows_not_found.py::test_update_unknown_chatflow_is_404",
        "chatflows/test_chatflows_not_found.py::test_delete_unknown_chatflow_is_404",
    ],
)
PAGE_IGNORED = fault(
    "chatflow-page-ignored",
    "GET /chatflows ignores page and limit (always a plain array).",
    caught_by=["chatflows/test_chatflows_list.py::test_page_and_limit_answer_a_page"],
)
DATES_NOT_ISO = fault(
    "chatflow-dates-not-iso",
    "Chatflow createdDate/updatedDate are epoch milliseconds instead of ISO 8601 date-times.",
    caught_by=[
        "chatflows/test_chatflows_shape.py::test_chatflow_matches_the_schema",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows/{id}]",
    ],
)
PROBES_MALFORMED = fault(
    "chatflow-probes-malformed",
    "The streaming probe answers isStreaming as a string and the uploads probe lacks fileUploadSizeAndTypes.",
    caught_by=[
        "chatflows/test_chatflows_shape.py::test_streaming_probe_answers_is_streaming",
        "chatflows/test_chatflows_shape.py::test_uploads_probe_answers_the_upload_configuration",
    ],
)
DELETE_RESULT_EMPTY = fault(
    "chatflow-delete-result-empty",
    "DELETE /chatflows/{id} answers {} instead of a DeleteResult.",
    caught_by=["chatflows/test_chatflows_delete.py::test_delete_answers_a_delete_result"],
)
APIKEY_ANY_KEY = fault(
    "chatflow-apikey-any-key",
    "GET /chatflows/apikey/{apikey} answers an unknown key with the unbound chatflows instead of 401.",
    caught_by=["chatflows/test_chatflows_apikey.py::test_unknown_key_is_401"],
)
APIKEY_KEYONLY_IGNORED = fault(
    "chatflow-apikey-keyonly-ignored",
    "GET /chatflows/apikey/{apikey}?keyonly=true also lists chatflows bound to no key.",
    caught_by=["chatflows/test_chatflows_apikey.py::test_keyonly_lists_only_chatflows_bound_to_the_key"],
)
APIKEY_BOUND_HIDDEN = fault(
    "chatflow-apikey-bound-hidden",
    "GET /chatflows/apikey/{apikey} leaves out the chatflows bound to that key.",
    caught_by=[
        "chatflows/test_chatflows_apikey.py::test_key_lists_chatflow_bound_to_it",
        "chatflows/test_chatflows_apikey.py::test_keyonly_lists_only_chatflows_bound_to_the_key",
    ],
)
APIKEY_OTHER_KEYS_LISTED = fault(
    "chatflow-apikey-other-keys-listed",
    "GET /chatflows/apikey/{apikey} also lists chatflows bound to other keys.",
    caught_by=["chatflows/test_chatflows_apikey.py::test_chatflow_bound_to_another_key_is_not_listed"],
)
PROBES_SKIP_LOOKUP = fault(
    "chatflow-probes-unknown-ok",
    "GET /chatflows-streaming/{id} and /chatflows-uploads/{id} answer 200 for an unknown chatflow.",
    caught_by=[
        "chatflows/test_chatflows_not_found.py::test_streaming_probe_of_unknown_chatflow_is_404",
        "chatflows/test_chatflows_not_found.py::test_uploads_probe_of_unknown_chatflow_is_404",
    ],
)


# ---------------------------------------------------------------- input


def _flow_data(body: dict[str, Any]) -> None:
    value = inputs.text(body, "flowData", WHAT, required=True)
    graph = inputs.json_object_text(value, f"{WHAT} 'flowData'")
    if not isinstance(graph.get("nodes"), list) or not isinstance(graph.get("edges"), list):
        raise ApiError(400, f"{WHAT} 'flowData' must be a flow graph with 'nodes' and 'edges' arrays")


def _validate(request: Request, body: dict[str, Any], *, creating: bool) -> None:
    """The ChatflowCreate / ChatflowUpdate schemas: 400 for a missing, unknown or ill-typed field."""
    inputs.known_fields(body, WRITABLE_FIELDS, WHAT)
    if (creating or "name" in body) and not (NAME_UNCHECKED.on(request) and "name" not in body):
        inputs.text(body, "name", WHAT, required=True, non_empty=True)
    if (creating or "flowData" in body) and not FLOW_DATA_UNCHECKED.on(request):
        _flow_data(body)
    if (creating or "type" in body) and not TYPE_UNCHECKED.on(request):
        inputs.one_of(body, "type", TYPES, WHAT, required=True)
    for key in BOOLEAN_FIELDS:
        if key in body and not isinstance(body[key], bool):
            raise ApiError(400, f"{WHAT}: '{key}' must be a boolean")
    for key in NULLABLE_TEXT_FIELDS:
        inputs.text(body, key, WHAT, required=False, nullable=True)
    # the JSON-text settings (chatbotConfig, apiConfig, ...) are checked for their type only: the spec
    # describes them as JSON text but, unlike flowData, does not make other text bad input; their
    # readers (ratelimit, attachments) treat text that is not JSON as "not configured"
    for key in JSON_TEXT_FIELDS:
        inputs.text(body, key, WHAT, required=False, nullable=True)


def find(request: Request, flow_id: str) -> dict[str, Any]:
    """The stored chatflow, or the 404 every chatflow-scoped path answers for an unknown id."""
    return inputs.stored_or_404(request, KIND, flow_id, f"Chatflow {flow_id} not found in the database!")


def bound_key_id(flow: dict[str, Any]) -> str | None:
    """The id of the API key a chatflow is bound to; None (or "") means predictions are public."""
    return flow.get("apikeyid") or None


# ---------------------------------------------------------------- handlers


async def list_chatflows(request: Request) -> Response:
    flows = request.app.state.store.all(KIND)
    if NOT_LISTED.on(request) and flows:
        flows = flows[:-1]
    wanted = request.query_params.get("type")
    if wanted is not None and not TYPE_FILTER_IGNORED.on(request):
        if wanted not in TYPES:
            raise ApiError(400, f"Invalid Chatflow Type: 'type' must be one of {', '.join(TYPES)}")
        flows = [f for f in flows if f["type"] == wanted]
    ordered = inputs.newest_first(flows)
    return ok(ordered if PAGE_IGNORED.on(request) else inputs.listing(request, ordered))


async def create_chatflow(request: Request) -> Response:
    body = await json_body(request)
    _validate(request, body, creating=True)
    stamp: Any = now_iso() if not DATES_NOT_ISO.on(request) else int(time.time() * 1000)
    flow = request.app.state.store.insert_new(KIND, {
        "name": body.get("name"),
        "flowData": body.get("flowData"),
        "type": body.get("type", "CHATFLOW"),
        **{k: body.get(k) for k in OPTIONAL_FIELDS},
        "webhookSecretConfigured": False,
    }, stamp)
    return ok(flow)


async def get_chatflow(request: Request) -> Response:
    return ok(find(request, request.path_params["id"]))


async def update_chatflow(request: Request) -> Response:
    body = await json_body(request)
    if UNKNOWN_WRITE_OK.on(request) and request.app.state.store.get(KIND, request.path_params["id"]) is None:
        return ok({"id": request.path_params["id"], **body})
    flow = find(request, request.path_params["id"])
    _validate(request, body, creating=False)
    if UPDATE_REPLACES.on(request):
        flow = {k: v for k, v in flow.items() if k in ("id", "createdDate")}
    updated = {**flow, **body, "updatedDate": now_iso()}
    if not UPDATE_NOT_PERSISTED.on(request):
        request.app.state.store.replace(KIND, updated)
    return ok(updated)


async def delete_chatflow(request: Request) -> Response:
    store = request.app.state.store
    if UNKNOWN_WRITE_OK.on(request) and store.get(KIND, request.path_params["id"]) is None:
        return ok({"raw": [], "affected": 0})
    flow = find(request, request.path_params["id"])
    if DELETE_KEEPS.on(request):
        return ok({"raw": [], "affected": 1})
    affected = store.delete(KIND, flow["id"])
    for child in ("chatmessage", "feedback"):  # the spec: "Also deletes its chat messages, feedback ..."
        for doc in list(store.where(child, chatflowid=flow["id"])):
            store.delete(child, doc["id"])
    return ok({} if DELETE_RESULT_EMPTY.on(request) else {"raw": [], "affected": affected})


async def chatflows_by_api_key(request: Request) -> Response:
    store = request.app.state.store
    key_id = auth.key_id_for(store, request.path_params["apikey"])
    if key_id is None and not APIKEY_ANY_KEY.on(request):
        return error_response(401, "Unauthorized: unknown API key")
    keyonly = request.query_params.get("keyonly")
    if keyonly not in (None, "true", "false"):
        raise ApiError(400, "'keyonly' must be true or false")
    key_only = keyonly == "true" and not APIKEY_KEYONLY_IGNORED.on(request)
    flows = []
    for flow in store.all(KIND):
        bound = bound_key_id(flow)
        if bound is not None and bound == key_id and not APIKEY_BOUND_HIDDEN.on(request):
            flows.append(flow)
        elif (bound is None or APIKEY_OTHER_KEYS_LISTED.on(request)) and not key_only:
            flows.append(flow)
    return ok(sorted(flows, key=lambda f: f["name"] or ""))


def _probe_target(request: Request) -> None:
    if not PROBES_SKIP_LOOKUP.on(request):
        find(request, request.path_params["id"])


async def streaming_flag(request: Request) -> Response:
    # every reference chatflow streams: a prediction with "streaming": true is answered with SSE
    _probe_target(request)
    return ok({"isStreaming": "true" if PROBES_MALFORMED.on(request) else True})


async def uploads_flags(request: Request) -> Response:
    _probe_target(request)
    config: dict[str, Any] = {
        "isSpeechToTextEnabled": False,
        "isImageUploadAllowed": False,
        "isRAGFileUploadAllowed": False,
        "imgUploadSizeAndTypes": [],
        "fileUploadSizeAndTypes": [],
    }
    if PROBES_MALFORMED.on(request):
        del config["fileUploadSizeAndTypes"]
    return ok(config)


routes = crud_routes("/api/v1/chatflows", list=list_chatflows, create=create_chatflow, get=get_chatflow,
                     update=update_chatflow, delete=delete_chatflow) + [
    Route("/api/v1/chatflows/apikey/{apikey}", chatflows_by_api_key, methods=["GET"]),
    Route("/api/v1/chatflows-streaming/{id}", streaming_flag, methods=["GET"]),
    Route("/api/v1/chatflows-uploads/{id}", uploads_flags, methods=["GET"]),
]
