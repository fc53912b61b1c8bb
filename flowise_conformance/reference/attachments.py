"""POST /api/v1/attachments/{chatflowId}/{chatId}: files in, their extracted text out. Public.

The chatflow must enable full-file uploads in its chatbotConfig (a JSON string):
``{"fullFileUpload": {"status": true, "allowedUploadFileTypes": "text/plain,application/json"}}``.
Only the listed MIME types are accepted. The reference extracts text from text/* and JSON
files (UTF-8); other allowed types cannot be extracted here and are answered 422.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowise_conformance.reference import chatflows
from flowise_conformance.reference.faults import fault
from flowise_conformance.reference.responses import ApiError, ok

MAX_FILES = 100

CONTENT_EMPTY = fault(
    "attachment-content-empty",
    "Attachments come back with an empty 'content' instead of the extracted text.",
    caught_by=["attachments/test_attachments.py::test_text_file_content_is_extracted"],
)
SIZE_IN_CHARACTERS = fault(
    "attachment-size-chars",
    "An attachment's 'size' counts the characters of its text instead of the bytes of the file.",
    caught_by=["attachments/test_attachments.py::test_size_is_the_file_byte_length"],
)
UPLOAD_NOT_CHECKED = fault(
    "attachment-upload-not-checked",
    "Attachments are accepted for a chatflow that does not enable full-file uploads.",
    caught_by=["attachments/test_attachments.py::test_upload_not_enabled_is_rejected"],
)
MIME_NOT_CHECKED = fault(
    "attachment-mime-not-checked",
    "Files of a MIME type the chatflow does not allow are accepted.",
    caught_by=["attachments/test_attachments.py::test_disallowed_mime_type_is_rejected"],
)
ORDER_REVERSED = fault(
    "attachment-order-reversed",
    "Several files come back in the reverse of the order they were uploaded.",
    caught_by=["attachments/test_attachments.py::test_one_entry_per_file_in_upload_order"],
)
BASE64_ANY_VALUE = fault(
    "attachment-base64-any-value",
    "Any base64 field value (also 'false') returns base64 instead of the extracted text.",
    caught_by=["attachments/test_attachments.py::test_base64_false_returns_the_extracted_text"],
)
NO_FILES_OK = fault(
    "attachment-no-files-ok",
    "A multipart request without any file is answered 200 [] instead of rejected.",
    caught_by=["attachments/test_attachments.py::test_upload_without_files_is_rejected"],
)


def upload_settings(flow: dict[str, Any]) -> tuple[bool, list[str]]:
    """(enabled, allowed MIME types) from the chatflow's chatbotConfig."""
    raw = flow.get("chatbotConfig")
    config: Any = raw
    if isinstance(raw, str):
        try:
            config = json.loads(raw)
        except ValueError:
            config = None
    if not isinstance(config, dict) or not isinstance(config.get("fullFileUpload"), dict):
        return False, []
    full = config["fullFileUpload"]
    allowed = full.get("allowedUploadFileTypes")
    types = [t.strip() for t in allowed.split(",") if t.strip()] if isinstance(allowed, str) else []
    return full.get("status") is True, types


def _mime(upload: UploadFile) -> str:
    return (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()


def _extract(name: str, mime: str, data: bytes) -> str:
    if not (mime.startswith("text/") or mime == "application/json" or mime.endswith("+json")):
        raise ApiError(422, f"Cannot extract text from {name!r} ({mime})")
    # like Flowise's text loader: bytes that are not UTF-8 become U+FFFD, the file is not refused
    return data.decode("utf-8", errors="replace")


async def create_attachments(request: Request) -> Response:
    flow = chatflows.find(request, request.path_params["chatflowId"])
    if not request.path_params["chatId"].strip():
        raise ApiError(400, "chatId must not be empty")
    enabled, allowed = upload_settings(flow)
    any_type = False
    if not enabled:
        if not UPLOAD_NOT_CHECKED.on(request):
            raise ApiError(400, "File upload is not enabled for this chatflow")
        any_type = True
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(400, "Send the files as multipart/form-data in the field 'files'")
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    except Exception as exc:  # malformed multipart bodies, too many parts
        raise ApiError(400, f"Malformed multipart body: {exc}") from None
    files: list[UploadFile] = []
    as_base64 = False
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "files":
                raise ApiError(400, f"Unexpected file field {key!r}: send files in 'files'")
            files.append(value)
        elif key == "base64":
            if value not in ("true", "false"):
                raise ApiError(400, f"'base64' must be true or false, got {value!r}")
            as_base64 = value == "true" or BASE64_ANY_VALUE.on(request)
        else:
            raise ApiError(400, f"Unexpected field {key!r}")
    if not files and not NO_FILES_OK.on(request):
        raise ApiError(400, "No files: send at least one file in the field 'files'")
    out = []
    for upload in files:
        mime = _mime(upload)
        name = upload.filename or "file"
        if mime not in allowed and not any_type and not MIME_NOT_CHECKED.on(request):
            raise ApiError(400, f"File type '{mime}' is not allowed. Allowed types: {', '.join(allowed) or '(none)'}")
        data = await upload.read()
        content = base64.b64encode(data).decode("ascii") if as_base64 else _extract(name, mime, data)
        size = len(data) if not SIZE_IN_CHARACTERS.on(request) else len(content)
        out.append({"name": name, "mimeType": mime, "size": size, "content": "" if CONTENT_EMPTY.on(request) else content})
    return ok(out[::-1] if ORDER_REVERSED.on(request) else out)


routes = [Route("/api/v1/attachments/{chatflowId}/{chatId}", create_attachments, methods=["POST"])]
