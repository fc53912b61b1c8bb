"""Prediction uploads: base64 files in JSON and multipart/form-data files."""
from __future__ import annotations

import base64
import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_json, expect_status, expect_type
from flowise_conformance.flows import echo_answer
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("prediction"), pytest.mark.mutating, pytest.mark.requires("uploads")]

FILE_NAME = "fc-note.txt"


def _upload(kind: str, content: str) -> dict:
    data = "data:text/plain;base64," + base64.b64encode(content.encode()).decode()
    return {"data": data, "type": kind, "name": FILE_NAME, "mime": "text/plain"}


def _user_message(api, flow_id: str, chat_id: str) -> dict:
    response = api.get(item_path("chatmessage", flow_id), params={"chatId": chat_id})
    expect_status(response, 200)
    messages = [m for m in expect_json(response) if isinstance(m, dict) and m.get("role") == "userMessage"]
    expect_equal(len(messages), 1, f"{len(messages)} user messages in the chat, expected 1", response=response)
    return messages[0]


@pytest.mark.source('docs+flowise', docs='schema Prediction: uploads items {type file, name, data base64, mime}', flowise='packages/server/src/utils/buildChatflow.ts: base64 uploads are stored and the flow answers')
@pytest.mark.level("MUST")
def test_base64_upload_is_answered(api, chatflow):
    """A JSON prediction with a base64 text file in uploads (type file) is answered 200 with the flow's reply."""
    body = {"question": "with a file", "uploads": [_upload("file", "hello upload\n")]}
    response = api.post(item_path("prediction", chatflow['id']), json=body)
    expect_status(response, 200)
    expect_equal(expect_json(response).get("text"), echo_answer("with a file"), "The answer is not the flow's reply", response)


@pytest.mark.source('flowise', flowise="packages/server/src/utils/buildChatflow.ts: the userMessage's fileUploads lists the uploads (name, mime)")
@pytest.mark.level("SHOULD")
@pytest.mark.requires("chatmessage")
def test_base64_upload_is_recorded_on_the_user_message(api, chatflow):
    """The stored user message of a prediction with an upload lists the file (its name and mime) in fileUploads."""
    body = {"question": "record my file", "uploads": [_upload("file", "hello upload\n")]}
    response = api.post(item_path("prediction", chatflow['id']), json=body)
    expect_status(response, 200)
    message = _user_message(api, chatflow["id"], expect_json(response)["chatId"])
    uploads = message.get("fileUploads")
    expect_type(uploads, list, f"fileUploads of the user message is {uploads!r}, expected a list")
    expect(any(isinstance(u, dict) and u.get("name") == FILE_NAME and u.get("mime") == "text/plain" for u in uploads),
           f"the uploaded file is not in fileUploads: {uploads!r}",
           expected=f"a file {FILE_NAME!r} of mime text/plain", received=uploads)


@pytest.mark.source('docs+flowise', docs="schema Prediction: uploads type 'file:full'", flowise='packages/server/src/utils/buildChatflow.ts: file:full content is added to the question')
@pytest.mark.level("SHOULD")
def test_full_file_upload_reaches_the_flow(api, chatflow):
    """A file:full upload's content is given to the flow with the question: the echo flow's reply contains it."""
    content = f"fc full content {uuid.uuid4().hex}"
    upload = _upload("file:full", content)
    response = api.post(item_path("prediction", chatflow['id']), json={"question": "read the file", "uploads": [upload]})
    expect_status(response, 200)
    text = str(expect_json(response).get("text"))
    expect_in(echo_answer("read the file"), text, f"the reply {text[:300]!r} lost the question", response=response)
    expect(content in text or upload["data"] in text, f"the file's content is not in the reply {text[:300]!r}",
           expected='content in text or upload["data"] in text', received=content, response=response)


@pytest.mark.source('docs+flowise', docs='POST /prediction/{id}: multipart/form-data body with question and files', flowise='packages/server/src/routes/predictions: multer accepts files; controllers/predictions reads the form fields')
@pytest.mark.level("SHOULD")
def test_multipart_prediction_is_answered(api, chatflow):
    """A multipart/form-data prediction (question field + a text file in files) is answered 200 JSON with the reply."""
    files = [("files", (FILE_NAME, b"hello multipart\n", "text/plain"))]
    response = api.post(item_path("prediction", chatflow['id']), data={"question": "multipart"}, files=files)
    expect_status(response, 200)
    body = expect_json(response)
    expect_equal(body.get("question"), "multipart", f"question answered {body.get('question')!r}", response=response)
    expect_equal(body.get("text"), echo_answer("multipart"), f"text is {body.get('text')!r}", response=response)


@pytest.mark.source('flowise', flowise='packages/server/src/utils/createAttachment.ts and buildChatflow.ts: the multipart question is stored as the userMessage')
@pytest.mark.level("SHOULD")
@pytest.mark.requires("chatmessage")
def test_multipart_prediction_is_stored(api, chatflow):
    """A multipart prediction is stored like a JSON one: the user message holds the question field."""
    files = [("files", (FILE_NAME, b"hello multipart\n", "text/plain"))]
    response = api.post(item_path("prediction", chatflow['id']), data={"question": "multipart stored"}, files=files)
    expect_status(response, 200)
    message = _user_message(api, chatflow["id"], expect_json(response)["chatId"])
    expect_equal(message.get("content"), "multipart stored", f"the user message holds {message.get('content')!r}",
                 response=response)
