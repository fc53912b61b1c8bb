"""POST /api/v1/vector/upsert/{id}: run the upsert path of a chatflow that contains a vector store.

The reference has no embeddings and no vector database: its vector store is a null store. An
upsert checks what the spec asks of the request, finds the chatflow's vector store nodes (nodes
whose ``data.category`` is "Vector Stores", as in Flowise) and reports what it would add: one
document per uploaded file (multipart), none for a JSON request.

    chatflow lookup (404) -> key bound to the chatflow (401) -> rate limit (429)
    -> read and check the body (400) -> vector store nodes (400 none; 404 unknown stopNodeId)
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import auth, chatflows, inputs, ratelimit
from flowise_conformance.reference.responses import ApiError, json_body, ok

WHAT = "Vector upsert"
JSON_FIELDS = ("stopNodeId", "overrideConfig", "chatId")
MULTIPART_FIELDS = ("stopNodeId",)
VECTOR_STORE_CATEGORY = "Vector Stores"
MAX_FILES = 100


def vector_store_nodes(flow_data: Any) -> list[str]:
    """Ids of the vector store nodes of a chatflow's flowData (JSON text)."""
    import json

    try:
        data = json.loads(flow_data) if isinstance(flow_data, str) else None
    except ValueError:
        return []
    found = []
    for node in data.get("nodes", []) if isinstance(data, dict) else []:
        node_data = node.get("data") if isinstance(node, dict) else None
        if isinstance(node_data, dict) and node_data.get("category") == VECTOR_STORE_CATEGORY:
            node_id = node.get("id") or node_data.get("id")
            if isinstance(node_id, str):
                found.append(node_id)
    return found


def _check_flow_key(request: Request, flow: dict[str, Any]) -> None:
    bound = chatflows.bound_key_id(flow)
    if bound is not None and auth.key_id_for(request.app.state.store, auth.presented_key(request)) != bound:
        raise ApiError(401, "Unauthorized: this chatflow needs its API key")


async def _read(request: Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(fields, files) of a JSON or multipart body, checked against the spec's request schemas."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        body = await json_body(request)
        inputs.known_fields(body, JSON_FIELDS, WHAT)
        inputs.text(body, "stopNodeId", WHAT, required=False)
        inputs.text(body, "chatId", WHAT, required=False)
        if "overrideConfig" in body and not isinstance(body["overrideConfig"], dict):
            raise ApiError(400, f"{WHAT}: 'overrideConfig' must be an object")
        return body, []
    fields, uploads = await inputs.read_multipart(request, WHAT, MULTIPART_FIELDS, "upsert", max_files=MAX_FILES,
                                                  max_fields=MAX_FILES)
    files = [{"name": f.filename or "file", "size": len(data), "text": data.decode("utf-8", errors="replace")}
             for f, data in uploads]
    return fields, files


async def upsert_vector(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    _check_flow_key(request, flow)
    limited = ratelimit.check(request, flow)
    if limited is not None:
        return limited
    fields, files = await _read(request)
    nodes = vector_store_nodes(flow.get("flowData"))
    if not nodes:
        raise ApiError(400, f"{WHAT}: chatflow {flow['id']} has no vector store node")
    stop = fields.get("stopNodeId")
    if stop is not None and stop not in nodes:
        raise ApiError(404, f"{WHAT}: vector store node {stop!r} not found in chatflow {flow['id']}")
    added = [{"pageContent": f["text"], "metadata": {"source": f["name"]}} for f in files]
    return ok({"numAdded": len(added), "numDeleted": 0, "numUpdated": 0, "numSkipped": 0, "addedDocs": added})


routes = [Route("/api/v1/vector/upsert/{id}", upsert_vector, methods=["POST"])]
