"""Document stores: store CRUD, plus what needs no external service (loader listing, chunk preview
with the plainText loader and the character splitter, chunk pages of a store).

Stores here never get loaders (saving and processing loaders is not in the contract), so every
store stays EMPTY with no chunks; the preview runs the loader and splitter without saving.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, ok
from flowise_conformance.reference.routing import crud_routes

KIND = "document_store"
CHUNK_KIND = "document_store_chunk"
WHAT = "Document store"
FIELDS = ("name", "description")
PAGE_SIZE = 50
PREVIEW_FIELDS = (
    "storeId", "loaderId", "loaderName", "loaderConfig", "splitterId", "splitterName", "splitterConfig",
    "previewChunkCount",
)
LOADERS = [
    {
        "name": "plainText",
        "label": "Plain Text",
        "version": 2,
        "category": "Document Loaders",
        "description": "Load data from plain text",
        "inputs": [
            {"label": "Text", "name": "text", "type": "string"},
            {"label": "Text Splitter", "name": "textSplitter", "type": "TextSplitter", "optional": True},
            {"label": "Additional Metadata", "name": "metadata", "type": "json", "optional": True},
        ],
    }
]
SPLITTERS = ("characterTextSplitter",)

UNKNOWN_IS_200 = fault(
    "docstore-unknown-200",
    "GET /document-store/store/{id} of an unknown id answers 200 {} instead of 404.",
    caught_by=[
        "document_store/test_document_store_errors.py::test_get_unknown_store_is_404",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/document-store/store/{id}]",
    ],
)
DELETE_KEEPS = fault(
    "docstore-delete-keeps",
    "DELETE /document-store/store/{id} answers {deleted: 1} but the store is still there.",
    caught_by=[
        "document_store/test_document_store_lifecycle.py::test_get_after_delete_is_404",
        "fuzz/test_fuzz_stateful.py::TestDocumentStoreScenarios::test_scenarios",
    ],
)
LOADERS_NOT_A_LIST = fault(
    "docstore-create-loaders-not-a-list",
    "POST /document-store/store answers loaders and whereUsed as {} (neither an array nor JSON text of one).",
    caught_by=["document_store/test_document_store_lifecycle.py::test_create_returns_an_empty_store"],
)
PREVIEW_IGNORES_COUNT = fault(
    "docstore-preview-ignores-count",
    "POST /document-store/loader/preview returns every chunk whatever previewChunkCount says.",
    caught_by=["document_store/test_document_store_loaders.py::test_preview_returns_at_most_preview_chunk_count"],
)
CHUNKS_UNKNOWN_STORE_EMPTY = fault(
    "docstore-chunks-unknown-store-empty",
    "GET /document-store/chunks/{storeId}/all/1 of an unknown store answers an empty page instead of 404.",
    caught_by=["document_store/test_document_store_loaders.py::test_chunks_of_unknown_store_is_404"],
)


CONFIGS = ("vectorStoreConfig", "embeddingConfig", "recordManagerConfig")
LISTS = ("loaders", "whereUsed")


def _config(body: dict[str, Any], key: str) -> Any:
    """A config as the API reference types it ("stored as JSON string": parsed when it is JSON text of
    an object, else kept as sent) or as Flowise answers it (an object), or null."""
    value = body[key]
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict) else value
    raise ApiError(400, f"{WHAT}: '{key}' must be an object, a string (JSON text of one) or null")


def _check_list(body: dict[str, Any], key: str) -> None:
    """loaders and whereUsed: an array or JSON text of one (spec: JsonArrayText). They are checked,
    not kept: stores here never get loaders (saving loaders is not in the contract)."""
    value = body[key]
    if not isinstance(value, list) and not (isinstance(value, str) and value.lstrip().startswith("[")):
        raise ApiError(400, f"{WHAT}: '{key}' must be an array or JSON text of one")


def _validate(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    # Fields other than these are ignored (Flowise keeps an allowlist); an empty name is kept
    # (neither the API reference nor Flowise refuses it).
    values = {
        "name": inputs.text(body, "name", WHAT, required=creating),
        "description": inputs.text(body, "description", WHAT, required=False, nullable=True),
    }
    for key in CONFIGS:
        if key in body:
            values[key] = _config(body, key)
    for key in LISTS:
        if key in body:
            _check_list(body, key)
    return {k: v for k, v in values.items() if v is not inputs.MISSING}


def _find(request: Request, store_id: str) -> dict[str, Any]:
    return inputs.stored_or_404(request, KIND, store_id, f"Document store {store_id} not found")


def _chunks(request: Request, store_id: str) -> list[dict[str, Any]]:
    found = request.app.state.store.where(CHUNK_KIND, storeId=store_id)
    return sorted(found, key=lambda c: c.get("chunkNo", 0))


def _shown(request: Request, store: dict[str, Any]) -> dict[str, Any]:
    """The GET representation: arrays, and the character and chunk totals."""
    chunks = _chunks(request, store["id"])
    return {
        **store,
        "totalChars": sum(len(c.get("pageContent", "")) for c in chunks),
        "totalChunks": len(chunks),
    }


async def list_stores(request: Request) -> Response:
    stores = inputs.newest_first(_shown(request, s) for s in request.app.state.store.all(KIND))
    return ok(inputs.listing(request, stores))


async def create_store(request: Request) -> Response:
    values = _validate(await inputs.required_body(request), creating=True)
    store = request.app.state.store.insert_new(KIND, {
        "name": values["name"],
        "description": values.get("description"),
        "status": "EMPTY",
        "loaders": [],
        "whereUsed": [],
        **{key: values.get(key) for key in CONFIGS},
    }, now_iso())
    shown = _shown(request, store)
    if LOADERS_NOT_A_LIST.on(request):
        shown = {**shown, "loaders": {}, "whereUsed": {}}
    return ok(shown)


async def get_store(request: Request) -> Response:
    store_id = request.path_params["id"]
    if UNKNOWN_IS_200.on(request) and request.app.state.store.get(KIND, store_id) is None:
        return ok({})
    return ok(_shown(request, _find(request, store_id)))


async def update_store(request: Request) -> Response:
    store = _find(request, request.path_params["id"])
    changes = _validate(await inputs.required_body(request), creating=False)
    updated = {**store, **changes, "updatedDate": now_iso()}
    request.app.state.store.replace(KIND, updated)
    return ok(_shown(request, updated))


async def delete_store(request: Request) -> Response:
    store = _find(request, request.path_params["id"])
    if DELETE_KEEPS.on(request):
        return ok({"deleted": 1})
    db = request.app.state.store
    for chunk in _chunks(request, store["id"]):
        db.delete(CHUNK_KIND, chunk["id"])
    return ok({"deleted": db.delete(KIND, store["id"])})


async def list_loaders(request: Request) -> Response:
    return ok(LOADERS)


def _int_setting(config: dict[str, Any], key: str, default: int, minimum: int) -> int:
    value = config.get(key, default)
    if value in (None, ""):
        value = default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    number = inputs.as_int(value)
    if number is None or number < minimum:
        raise ApiError(400, f"Splitter '{key}' must be an integer >= {minimum}")
    return number


def split_characters(text: str, config: dict[str, Any]) -> list[str]:
    """Split on a separator, then merge the pieces into chunks of at most chunkSize characters,
    carrying up to chunkOverlap characters of trailing pieces into the next chunk."""
    size = _int_setting(config, "chunkSize", 1000, 1)
    overlap = _int_setting(config, "chunkOverlap", 200, 0)
    if overlap >= size:
        raise ApiError(400, "Splitter 'chunkOverlap' must be smaller than 'chunkSize'")
    separator = config.get("separator", "\n\n")
    if separator in (None, ""):
        separator = "\n\n"
    if not isinstance(separator, str):
        raise ApiError(400, "Splitter 'separator' must be a string")
    pieces = [p for p in text.split(separator) if p != ""]
    chunks: list[str] = []
    current: list[str] = []
    total = 0
    for piece in pieces:
        joiner = len(separator) if current else 0
        if current and total + joiner + len(piece) > size:
            merged = separator.join(current).strip()
            if merged:
                chunks.append(merged)
            while current and (total > overlap or total + len(separator) + len(piece) > size):
                total -= len(current[0]) + (len(separator) if len(current) > 1 else 0)
                current.pop(0)
        total += (len(separator) if current else 0) + len(piece)
        current.append(piece)
    merged = separator.join(current).strip()
    if merged:
        chunks.append(merged)
    return chunks


def _line_span(text: str, chunk: str, start: int) -> tuple[dict[str, Any], int]:
    at = text.find(chunk, start)
    if at < 0:
        return {}, start
    first = text.count("\n", 0, at) + 1
    return {"loc": {"lines": {"from": first, "to": first + chunk.count("\n")}}}, at + 1


async def preview_chunks(request: Request) -> Response:
    body = await inputs.required_body(request)
    store_id = inputs.uuid_text(body, "storeId", "Loader preview", required=False)
    if store_id is not inputs.MISSING:
        _find(request, store_id)
    loader_id = inputs.text(body, "loaderId", "Loader preview", required=True, non_empty=True)
    for key in ("loaderName", "splitterName"):
        inputs.text(body, key, "Loader preview", required=False)
    if loader_id not in {loader["name"] for loader in LOADERS}:
        raise ApiError(400, f"Unknown document loader '{loader_id}'")
    config = body.get("loaderConfig")
    if not isinstance(config, dict):
        raise ApiError(400, "Loader preview: 'loaderConfig' is required and must be an object")
    text = config.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "The plainText loader needs 'loaderConfig.text' (a string)")
    splitter_id = inputs.text(body, "splitterId", "Loader preview", required=False, non_empty=True)
    splitter_config = body.get("splitterConfig", {})
    if splitter_config is None:
        splitter_config = {}
    if not isinstance(splitter_config, dict):
        raise ApiError(400, "Loader preview: 'splitterConfig' must be an object")
    if splitter_id is not inputs.MISSING and splitter_id not in SPLITTERS:
        raise ApiError(400, f"Unknown text splitter '{splitter_id}'")
    count = body.get("previewChunkCount")
    if count is not None:
        count = inputs.as_int(count)
        if count is None or count < -1:
            raise ApiError(400, "Loader preview: 'previewChunkCount' must be an integer >= -1")

    if splitter_id is not inputs.MISSING and splitter_config:
        texts = split_characters(text, splitter_config)
    else:
        texts = [text]
    chunks = []
    cursor = 0
    for piece in texts:
        metadata, cursor = _line_span(text, piece, cursor)
        chunks.append({"pageContent": piece, "metadata": metadata})
    total = len(chunks)
    shown = total if count is None or count == -1 or count > total else count
    if not PREVIEW_IGNORES_COUNT.on(request):
        chunks = chunks[:shown]
    return ok({"chunks": chunks, "totalChunks": total, "previewChunkCount": shown})


async def list_chunks(request: Request) -> Response:
    store_id = request.path_params["storeId"]
    file_id = request.path_params["fileId"]
    try:
        page_no = int(request.path_params["pageNo"])
    except ValueError:
        raise ApiError(400, "'pageNo' must be an integer >= 1") from None
    if page_no < 1:
        raise ApiError(400, "'pageNo' must be an integer >= 1")
    store = request.app.state.store.get(KIND, store_id)
    if store is None:
        if not CHUNKS_UNKNOWN_STORE_EMPTY.on(request):
            raise ApiError(404, f"Document store {store_id} not found")
        store = {"id": store_id, "name": "", "description": None, "loaders": []}
    loader = None
    if file_id != "all":
        loader = next((ld for ld in store["loaders"] if ld.get("id") == file_id), None)
        if loader is None:
            raise ApiError(404, f"Document loader {file_id} not found in store {store_id}")
    chunks = [c for c in _chunks(request, store_id) if file_id == "all" or c.get("docId") == file_id]
    start = (page_no - 1) * PAGE_SIZE
    page: dict[str, Any] = {
        "chunks": chunks[start:start + PAGE_SIZE],
        "count": len(chunks),
        "characters": sum(len(c.get("pageContent", "")) for c in chunks),
        "currentPage": page_no,
        "storeName": store["name"],
        "description": store.get("description"),
        "docId": file_id,
    }
    if loader is not None:
        page["file"] = loader
    return ok(page)


routes = crud_routes("/api/v1/document-store/store", list=list_stores, create=create_store, get=get_store,
                     update=update_store, delete=delete_store) + [
    Route("/api/v1/document-store/components/loaders", list_loaders, methods=["GET"]),
    Route("/api/v1/document-store/loader/preview", preview_chunks, methods=["POST"]),
    Route("/api/v1/document-store/chunks/{storeId}/{fileId}/{pageNo}", list_chunks, methods=["GET"]),
]
