"""POST /api/v1/prediction/{id}: JSON or multipart in, JSON or Flowise-framed SSE out.

The handler runs these steps in order (each one a function below):
    chatflow lookup (404) -> per-chatflow API key (401) -> read the body (JSON or multipart)
    -> validate it (400) -> run the flow (echo model) and store the two messages
    -> answer as JSON, or as an SSE stream when asked for.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import auth, chatflows, echo_model, inputs
from flowise_conformance.reference.clock import now_iso
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, json_body, ok
from flowise_conformance.reference import ratelimit, sse_out

WHAT = "Prediction"
JSON_FIELDS = (
    "chatflowId", "question", "form", "streaming", "chatId", "overrideConfig", "history", "uploads", "leadEmail", "action",
    "humanInput",
)
MULTIPART_FIELDS = ("question", "streaming", "chatId")
HISTORY_ROLES = ("apiMessage", "userMessage")
UPLOAD_FIELDS = ("type", "name", "mime", "data")
UPLOAD_TYPES = ("file", "file:rag", "file:full", "audio", "url")
# how a stored user message records an upload (the data itself is not kept, except a URL)
RECORDED_UPLOAD_TYPE = {"file": "stored-file", "file:rag": "stored-file", "audio": "stored-file",
                        "file:full": "stored-file:full", "url": "url"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SSE_NO_END = fault(
    "sse-no-end",
    "A streamed prediction ends without its final 'end' event.",
    caught_by=[
        "contracts/test_sse.py::test_stream_ends_with_end_done",
        "contracts/test_sse.py::test_stream_error_is_an_error_event_then_end",
    ],
)
CHAT_ID_IGNORED = fault(
    "chatid-ignored",
    "A prediction ignores the chatId it was given and starts a new chat.",
    caught_by=[
        "prediction/test_prediction_basics.py::test_chat_id_is_continued",
        "prediction/test_prediction_session.py::test_chat_id_sent_is_answered_back",
        "prediction/test_prediction_session.py::test_continued_chat_keeps_all_its_messages",
    ],
)
SESSION_ID_IGNORED = fault(
    "sessionid-ignored",
    "overrideConfig.sessionId is ignored: the sessionId is always the chatId.",
    caught_by=[
        "prediction/test_prediction_session.py::test_override_session_id_is_the_session_id",
        "prediction/test_prediction_session.py::test_override_session_id_is_stored_on_the_messages",
    ],
)
FLOW_KEY_NOT_ENFORCED = fault(
    "flow-key-not-enforced",
    "A chatflow bound to an API key answers predictions sent without that key.",
    caught_by=[
        "prediction/test_prediction_apikey.py::test_bound_chatflow_without_key_is_401",
        "prediction/test_prediction_apikey.py::test_bound_chatflow_with_wrong_key_is_401",
    ],
)
UNBOUND_NEEDS_KEY = fault(
    "prediction-needs-key",
    "A chatflow bound to no key refuses predictions without an API key (it must be public).",
    caught_by=["prediction/test_prediction_apikey.py::test_unbound_chatflow_is_answered_without_key"],
)
QUESTION_DROPPED = fault(
    "prediction-question-dropped",
    "The flow runs without the question: the reply renders an empty question.",
    caught_by=[
        "prediction/test_prediction_answer.py::test_answer_text_is_the_flows_reply",
        "prediction/test_prediction_input.py::test_override_config_is_accepted",
        "prediction/test_prediction_uploads.py::test_multipart_prediction_is_answered",
    ],
)
NEW_CHAT_REUSED = fault(
    "prediction-new-chat-reused",
    "Predictions sent without chatId all land in one chat per chatflow.",
    caught_by=["prediction/test_prediction_answer.py::test_requests_without_chat_id_start_new_chats"],
)
MESSAGE_ID_NUMBER = fault(
    "prediction-message-id-number",
    "chatMessageId is answered as a number, not the uuid of the stored apiMessage.",
    caught_by=[
        "prediction/test_prediction_answer.py::test_answer_matches_the_schema",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[POST /api/v1/prediction/{id}]",
    ],
)
HISTORY_REFUSED = fault(
    "history-refused",
    "A well-formed 'history' is refused with 400.",
    caught_by=["prediction/test_prediction_input.py::test_history_is_accepted"],
)
HISTORY_UNCHECKED = fault(
    "history-unchecked",
    "A malformed 'history' is accepted instead of answered 400.",
    caught_by=[
        "prediction/test_prediction_input.py::test_history_with_unknown_role_is_rejected",
        "prediction/test_prediction_input.py::test_history_that_is_not_a_list_is_rejected",
    ],
)
UPLOADS_DROPPED = fault(
    "uploads-dropped",
    "JSON 'uploads' are accepted but dropped: not recorded on the user message, not given to the flow.",
    caught_by=[
        "prediction/test_prediction_uploads.py::test_base64_upload_is_recorded_on_the_user_message",
        "prediction/test_prediction_uploads.py::test_full_file_upload_reaches_the_flow",
    ],
)
MULTIPART_REJECTED = fault(
    "multipart-rejected",
    "A multipart/form-data prediction is answered 415 instead of being run.",
    caught_by=[
        "prediction/test_prediction_uploads.py::test_multipart_prediction_is_answered",
        "prediction/test_prediction_uploads.py::test_multipart_prediction_is_stored",
        "fuzz/test_fuzz_operations.py::test_operation_conforms[POST /api/v1/prediction/{id}]",
    ],
)


@dataclass
class Run:
    """One executed prediction: what is answered and what the stream's metadata says."""

    question: str
    text: str
    chat_id: str
    session_id: str
    message_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def answer(self) -> dict[str, Any]:
        return {"text": self.text, "question": self.question, "chatId": self.chat_id,
                "chatMessageId": self.message_id, "isStreamValid": False, "sessionId": self.session_id,
                **self.extra}

    def metadata(self) -> dict[str, Any]:
        return {"chatId": self.chat_id, "chatMessageId": self.message_id, "question": self.question,
                "sessionId": self.session_id}


# ---------------------------------------------------------------- steps


def _check_flow_key(request: Request, flow: dict[str, Any]) -> None:
    """A chatflow bound to a key (apikeyid) answers only requests carrying that key."""
    bound = chatflows.bound_key_id(flow)
    if bound is None and UNBOUND_NEEDS_KEY.on(request) and auth.presented_key(request) is None:
        raise ApiError(401, "Unauthorized: missing API key")
    if bound is None or FLOW_KEY_NOT_ENFORCED.on(request):
        return
    if auth.key_id_for(request.app.state.store, auth.presented_key(request)) != bound:
        raise ApiError(401, "Unauthorized: this chatflow needs its API key")


async def _read_input(request: Request) -> dict[str, Any]:
    """The body as a dict; multipart files land in ``_files`` as {name, mime, size}."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        body = await json_body(request)
        inputs.known_fields(body, JSON_FIELDS, WHAT)
        return body
    if MULTIPART_REJECTED.on(request):
        raise ApiError(415, "Unsupported content type multipart/form-data: send application/json")
    body, uploads = await inputs.read_multipart(request, WHAT, MULTIPART_FIELDS, "prediction")
    files = [{"name": f.filename, "mime": f.content_type, "size": len(data)} for f, data in uploads]
    if body.get("streaming", "false") not in ("true", "false"):
        raise ApiError(400, f"{WHAT}: 'streaming' must be 'true' or 'false'")
    body["streaming"] = body.get("streaming") == "true"
    body["_files"] = files
    return body


HISTORY_FIELDS = {"role", "content", "message", "type"}  # message/type: the Python SDK's item shape


def _validate_history(history: Any) -> None:
    if not isinstance(history, list):
        raise ApiError(400, f"{WHAT}: 'history' must be a list of {{role, content}}")
    for item in history:
        if (not isinstance(item, dict) or set(item) - HISTORY_FIELDS or item.get("role") not in HISTORY_ROLES
                or not isinstance(item.get("content"), str)):
            raise ApiError(400, f"{WHAT}: each 'history' item must be {{role: apiMessage|userMessage, content: string}}")


def _validate_uploads(uploads: Any) -> None:
    if not isinstance(uploads, list):
        raise ApiError(400, f"{WHAT}: 'uploads' must be a list")
    for upload in uploads:
        if not isinstance(upload, dict):
            raise ApiError(400, f"{WHAT}: each upload must be an object {{type, name, mime, data}}")
        inputs.known_fields(upload, UPLOAD_FIELDS, f"{WHAT} upload")
        inputs.one_of(upload, "type", UPLOAD_TYPES, f"{WHAT} upload", required=True)
        for key in ("name", "mime", "data"):
            inputs.text(upload, key, f"{WHAT} upload", required=True, non_empty=True)


def _validate(request: Request, body: dict[str, Any]) -> None:
    """The PredictionRequest schema (the multipart body was checked while it was read)."""
    if "_files" not in body:
        if ("question" in body) == ("form" in body):
            raise ApiError(400, f"{WHAT}: send either 'question' or 'form'")
        inputs.text(body, "question", WHAT, required=False)
        if "form" in body and not isinstance(body["form"], dict):
            raise ApiError(400, f"{WHAT}: 'form' must be an object")
        if "streaming" in body and not isinstance(body["streaming"], bool):
            raise ApiError(400, f"{WHAT}: 'streaming' must be a boolean")
    inputs.text(body, "chatflowId", WHAT, required=False)  # the official SDKs send it; the path decides
    inputs.text(body, "chatId", WHAT, required=False, nullable=True)
    override = body.get("overrideConfig")
    override = {} if override is None else override
    if not isinstance(override, dict):
        raise ApiError(400, f"{WHAT}: 'overrideConfig' must be an object")
    inputs.text(override, "sessionId", f"{WHAT} overrideConfig", required=False)
    if "vars" in override and not isinstance(override["vars"], dict):
        raise ApiError(400, f"{WHAT}: 'overrideConfig.vars' must be an object")
    if "history" in body and not HISTORY_UNCHECKED.on(request):
        _validate_history(body["history"])
        if HISTORY_REFUSED.on(request) and body["history"]:
            raise ApiError(400, f"{WHAT}: 'history' is not supported")
    if "uploads" in body:
        _validate_uploads(body["uploads"])
    lead = inputs.text(body, "leadEmail", WHAT, required=False)
    if isinstance(lead, str) and not EMAIL.match(lead):
        raise ApiError(400, f"{WHAT}: 'leadEmail' must be an email address")
    for key in ("action", "humanInput"):
        if key in body and not isinstance(body[key], dict):
            raise ApiError(400, f"{WHAT}: '{key}' must be an object")
    if "humanInput" in body:
        human = body["humanInput"]
        inputs.one_of(human, "type", ("proceed", "reject"), f"{WHAT} humanInput", required=True)
        inputs.text(human, "startNodeId", f"{WHAT} humanInput", required=True)
        inputs.text(human, "feedback", f"{WHAT} humanInput", required=False)


def _question(body: dict[str, Any]) -> str:
    if "form" in body:
        return "\n".join(f"{k}: {v}" for k, v in body["form"].items())
    return body.get("question") or ""


def _uploads(request: Request, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The uploads as the user message records them, and the text that file:full uploads give the flow."""
    if UPLOADS_DROPPED.on(request):
        return [], ""
    recorded, inlined = [], ""
    for upload in body.get("uploads") or []:
        entry = {"type": RECORDED_UPLOAD_TYPE[upload["type"]], "name": upload["name"], "mime": upload["mime"]}
        if upload["type"] == "url":
            entry["data"] = upload["data"]
        if upload["type"] == "file:full":
            inlined += f"<doc name='{upload['name']}'>{upload['data']}</doc>\n\n"
        recorded.append(entry)
    return recorded, inlined


def _ids(request: Request, body: dict[str, Any]) -> tuple[str, str]:
    """chatId: the one sent, else overrideConfig.sessionId, else new; sessionId: overrideConfig's, else chatId."""
    override = body.get("overrideConfig") or {}
    session = None if SESSION_ID_IGNORED.on(request) else override.get("sessionId")
    chat_id = None if CHAT_ID_IGNORED.on(request) else body.get("chatId")
    fresh = str(uuid.uuid5(uuid.NAMESPACE_URL, request.url.path)) if NEW_CHAT_REUSED.on(request) else str(uuid.uuid4())
    chat_id = chat_id or session or fresh
    return chat_id, session or chat_id


def _store_messages(request: Request, flow: dict[str, Any], run: Run, body: dict[str, Any],
                    uploads: list[dict[str, Any]]) -> None:
    store = request.app.state.store
    base = {
        "chatflowid": flow["id"], "chatType": "EXTERNAL", "chatId": run.chat_id, "sessionId": run.session_id,
        "memoryType": None, "executionId": None, "sourceDocuments": None, "usedTools": None,
        "fileAnnotations": None, "agentReasoning": None, "reasonContent": None, "artifacts": None, "action": None,
        "followUpPrompts": None,
    }
    store.insert("chatmessage", {**base, "id": str(uuid.uuid4()), "role": "userMessage", "content": run.question,
                                 "fileUploads": uploads or None, "leadEmail": body.get("leadEmail"),
                                 "createdDate": now_iso()})
    store.insert("chatmessage", {**base, "id": run.message_id, "role": "apiMessage", "content": run.text,
                                 "fileUploads": None, "leadEmail": None, "createdDate": now_iso()})


def _run(request: Request, flow: dict[str, Any], body: dict[str, Any]) -> Run:
    question = _question(body)
    flow_input = "" if QUESTION_DROPPED.on(request) else question
    uploads, inlined = _uploads(request, body)
    chat_id, session_id = _ids(request, body)
    text = echo_model.answer(flow["flowData"], flow_input, attached=inlined)
    run = Run(question=question, text=text, chat_id=chat_id, session_id=session_id, message_id=str(uuid.uuid4()))
    _store_messages(request, flow, run, body, uploads)
    return run


def _wants_stream(body: dict[str, Any]) -> bool:
    return body.get("streaming") is True


def _stream(request: Request, run: Run) -> Response:
    return sse_out.stream_prediction(request, run.text, run.metadata(), json_answer=run.answer(),
                                     end=not SSE_NO_END.on(request))


# ---------------------------------------------------------------- handler


async def predict(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["id"])
    _check_flow_key(request, flow)
    limited = ratelimit.check(request, flow)  # contracts: apiConfig.rateLimit -> 429
    if limited is not None:
        return limited
    body = await _read_input(request)
    _validate(request, body)
    failure = sse_out.planned_failure(flow["flowData"])  # contracts: a flow that fails while running
    if failure:
        return sse_out.failed_prediction(request, failure, streaming=_wants_stream(body), end=not SSE_NO_END.on(request))
    run = _run(request, flow, body)
    if _wants_stream(body):
        return _stream(request, run)
    answer = run.answer()
    if MESSAGE_ID_NUMBER.on(request):
        answer["chatMessageId"] = 1
    return ok(answer)


routes = [Route("/api/v1/prediction/{id}", predict, methods=["POST"])]
