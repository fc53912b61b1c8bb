"""POST /api/v1/prediction/{id}: JSON or multipart in, JSON or Flowise-framed SSE out."""
from __future__ import annotations

import uuid
from typing import Any, AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from flowise_conformance.reference import auth, chatflows, echo_model
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, json_body, ok
from flowise_conformance.reference.sse_out import SSE_HEADERS, frame

SSE_NO_END = fault(
    "sse-no-end",
    "A streamed prediction ends without its final 'end' event.",
    caught_by=["prediction/test_prediction_basics.py::test_stream_ends_with_end_event"],
)
CHAT_ID_IGNORED = fault(
    "chatid-ignored",
    "A prediction ignores the chatId it was given and starts a new chat.",
    caught_by=["prediction/test_prediction_basics.py::test_chat_id_is_continued"],
)


async def _read_input(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        body: dict[str, Any] = {}
        files = []
        for key, value in form.multi_items():
            if hasattr(value, "filename"):
                if key != "files":
                    raise ApiError(400, f"Unexpected file field {key!r}: send files in 'files'")
                files.append({"name": value.filename, "mime": value.content_type, "size": len(await value.read())})
            else:
                body[key] = value
        body["_files"] = files
        return body
    return await json_body(request)


def _validate(body: dict[str, Any]) -> None:
    question = body.get("question")
    if question is not None and not isinstance(question, str):
        raise ApiError(400, "'question' must be a string")
    if not question and not body.get("_files") and not body.get("uploads"):
        raise ApiError(400, "'question' is required")
    for key in ("chatId",):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise ApiError(400, f"'{key}' must be a string")
    if "overrideConfig" in body and body["overrideConfig"] is not None and not isinstance(body["overrideConfig"], dict):
        raise ApiError(400, "'overrideConfig' must be an object")
    history = body.get("history")
    if history is not None:
        if not isinstance(history, list) or not all(
            isinstance(h, dict) and h.get("role") in ("apiMessage", "userMessage") and isinstance(h.get("content"), str)
            for h in history
        ):
            raise ApiError(400, "'history' must be a list of {role: apiMessage|userMessage, content: string}")
    uploads = body.get("uploads")
    if uploads is not None and (not isinstance(uploads, list) or not all(isinstance(u, dict) for u in uploads)):
        raise ApiError(400, "'uploads' must be a list of objects")


def _wants_stream(body: dict[str, Any]) -> bool:
    return body.get("streaming") in (True, "true")


def _store_messages(request: Request, flow: dict[str, Any], question: str, text: str, chat_id: str,
                    session_id: str, uploads: list[Any]) -> str:
    store = request.app.state.store
    base = {
        "chatflowid": flow["id"], "chatType": "EXTERNAL", "chatId": chat_id, "sessionId": session_id,
        "memoryType": None, "sourceDocuments": None, "usedTools": None, "fileAnnotations": None,
        "agentReasoning": None, "artifacts": None, "action": None, "followUpPrompts": None,
    }
    store.insert("chatmessage", {**base, "id": str(uuid.uuid4()), "role": "userMessage", "content": question,
                                 "fileUploads": uploads or None, "createdDate": now_iso()})
    api_id = str(uuid.uuid4())
    store.insert("chatmessage", {**base, "id": api_id, "role": "apiMessage", "content": text,
                                 "fileUploads": None, "createdDate": now_iso()})
    return api_id


async def predict(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    if flow.get("apikeyid") and auth.key_id_for(request.app.state.store, auth.presented_key(request)) != flow["apikeyid"]:
        raise ApiError(401, "Unauthorized: this chatflow needs its API key")
    body = await _read_input(request)
    _validate(body)
    question = body.get("question") or ""
    override = body.get("overrideConfig") or {}
    chat_id = body.get("chatId") if not CHAT_ID_IGNORED.on(request) else None
    chat_id = chat_id or override.get("sessionId") or str(uuid.uuid4())
    session_id = override.get("sessionId") or chat_id
    text = echo_model.answer(flow["flowData"], question)
    uploads = [*(body.get("uploads") or []), *body.get("_files", [])]
    message_id = _store_messages(request, flow, question, text, chat_id, session_id, uploads)
    result = {"text": text, "question": question, "chatId": chat_id, "chatMessageId": message_id,
              "isStreamValid": False, "sessionId": session_id}
    if not _wants_stream(body):
        return ok(result)
    metadata = {"chatId": chat_id, "chatMessageId": message_id, "question": question, "sessionId": session_id}
    end = not SSE_NO_END.on(request)

    async def events() -> AsyncIterator[bytes]:
        parts = echo_model.tokens(text)
        yield frame("start", parts[0])
        for part in parts:
            yield frame("token", part)
        yield frame("metadata", metadata)
        if end:
            yield frame("end", "[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


routes = [Route("/api/v1/prediction/{id}", predict, methods=["POST"])]
