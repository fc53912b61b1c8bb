"""Chatflows: CRUD, lookup by API key, streaming and upload flags."""
from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import auth
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, error_response, json_body, ok

KIND = "chatflow"
TYPES = ("CHATFLOW", "AGENTFLOW", "MULTIAGENT", "ASSISTANT")
OPTIONAL_FIELDS = (
    "deployed", "isPublic", "apikeyid", "chatbotConfig", "apiConfig", "analytic", "speechToText",
    "textToSpeech", "followUpPrompts", "category",
)
PROTECTED_FIELDS = ("id", "createdDate", "updatedDate", "workspaceId")

UPDATE_NOT_PERSISTED = fault(
    "chatflow-update-not-persisted",
    "PUT /chatflows/{id} answers with the new values but does not store them.",
    caught_by=["chatflows/test_chatflows_lifecycle.py::test_update_persists"],
)
DELETE_KEEPS = fault(
    "chatflow-delete-keeps",
    "DELETE /chatflows/{id} answers 200 but the chatflow is still there.",
    caught_by=["chatflows/test_chatflows_lifecycle.py::test_get_after_delete_is_404"],
)
NOT_LISTED = fault(
    "chatflow-not-listed",
    "GET /chatflows leaves out the most recently created chatflow.",
    caught_by=["chatflows/test_chatflows_lifecycle.py::test_created_chatflow_is_listed"],
)


def _validate(body: dict[str, Any], *, creating: bool) -> None:
    if creating or "name" in body:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "Chatflow 'name' is required and must be a non-empty string")
    if creating or "flowData" in body:
        flow_data = body.get("flowData")
        if not isinstance(flow_data, str):
            raise ApiError(400, "Chatflow 'flowData' is required and must be a JSON string")
        try:
            parsed = json.loads(flow_data)
        except ValueError:
            raise ApiError(400, "Chatflow 'flowData' is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise ApiError(400, "Chatflow 'flowData' must be a JSON object")
    if "type" in body and body["type"] not in TYPES:
        raise ApiError(400, f"Invalid Chatflow Type: must be one of {', '.join(TYPES)}")


def find(request: Request, flow_id: str) -> dict[str, Any]:
    flow = request.app.state.store.get(KIND, flow_id)
    if flow is None:
        raise ApiError(404, f"Chatflow {flow_id} not found")
    return flow


async def list_chatflows(request: Request) -> Response:
    flows = request.app.state.store.all(KIND)
    if NOT_LISTED.on(request) and flows:
        flows = flows[:-1]
    wanted = request.query_params.get("type")
    if wanted:
        if wanted not in TYPES:
            raise ApiError(400, f"Invalid Chatflow Type: must be one of {', '.join(TYPES)}")
        flows = [f for f in flows if f["type"] == wanted]
    return ok(sorted(flows, key=lambda f: f["updatedDate"], reverse=True))


async def create_chatflow(request: Request) -> Response:
    body = await json_body(request)
    _validate(body, creating=True)
    stamp = now_iso()
    flow = {
        "id": str(uuid.uuid4()),
        "name": body["name"],
        "flowData": body["flowData"],
        "type": body.get("type", "CHATFLOW"),
        **{k: body.get(k) for k in OPTIONAL_FIELDS},
        "createdDate": stamp,
        "updatedDate": stamp,
    }
    request.app.state.store.insert(KIND, flow)
    return ok(flow)


async def get_chatflow(request: Request) -> Response:
    return ok(find(request, request.path_params["id"]))


async def update_chatflow(request: Request) -> Response:
    flow = find(request, request.path_params["id"])
    body = await json_body(request)
    _validate(body, creating=False)
    changes = {k: v for k, v in body.items() if k not in PROTECTED_FIELDS and (k in OPTIONAL_FIELDS or k in ("name", "flowData", "type"))}
    updated = {**flow, **changes, "updatedDate": now_iso()}
    if not UPDATE_NOT_PERSISTED.on(request):
        request.app.state.store.replace(KIND, updated)
    return ok(updated)


async def delete_chatflow(request: Request) -> Response:
    flow = find(request, request.path_params["id"])
    store = request.app.state.store
    affected = 1 if DELETE_KEEPS.on(request) else store.delete(KIND, flow["id"])
    if not DELETE_KEEPS.on(request):
        for message in list(store.where("chatmessage", chatflowid=flow["id"])):
            store.delete("chatmessage", message["id"])
    return ok({"raw": [], "affected": affected})


async def chatflows_by_api_key(request: Request) -> Response:
    store = request.app.state.store
    key_id = auth.key_id_for(store, request.path_params["apikey"])
    if key_id is None:
        return error_response(401, "Unauthorized: unknown API key")
    key_only = request.query_params.get("keyonly") == "true"
    flows = [
        f for f in store.all(KIND)
        if f.get("apikeyid") == key_id or (not key_only and not f.get("apikeyid"))
    ]
    return ok(sorted(flows, key=lambda f: f["name"]))


async def streaming_flag(request: Request) -> Response:
    find(request, request.path_params["id"])
    return ok({"isStreaming": True})


async def uploads_flags(request: Request) -> Response:
    find(request, request.path_params["id"])
    return ok(
        {
            "isSpeechToTextEnabled": False,
            "isImageUploadAllowed": False,
            "isRAGFileUploadAllowed": False,
            "imgUploadSizeAndTypes": [],
            "fileUploadSizeAndTypes": [],
        }
    )


routes = [
    Route("/api/v1/chatflows", list_chatflows, methods=["GET"]),
    Route("/api/v1/chatflows", create_chatflow, methods=["POST"]),
    Route("/api/v1/chatflows/apikey/{apikey}", chatflows_by_api_key, methods=["GET"]),
    Route("/api/v1/chatflows/{id}", get_chatflow, methods=["GET"]),
    Route("/api/v1/chatflows/{id}", update_chatflow, methods=["PUT"]),
    Route("/api/v1/chatflows/{id}", delete_chatflow, methods=["DELETE"]),
    Route("/api/v1/chatflows-streaming/{id}", streaming_flag, methods=["GET"]),
    Route("/api/v1/chatflows-uploads/{id}", uploads_flags, methods=["GET"]),
]
