"""Attachments: files uploaded for a chat come back as [{name, mimeType, size, content}].

The chatflow must enable full-file uploads in its chatbotConfig; every test that expects a
success creates its chatflow with UPLOADS_ON (text/plain and application/json allowed).
"""
from __future__ import annotations

import base64
import json
import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_json, expect_status, expect_type
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("attachments"), pytest.mark.requires("attachments"), pytest.mark.mutating]

UPLOADS_ON = json.dumps({"fullFileUpload": {"status": True, "allowedUploadFileTypes": "text/plain,application/json"}})
# Non-ASCII on purpose: its byte length (size) differs from its length in characters.
NOTE = "Conformance note: café, naïve, 3 × 4\nsecond line\n".encode("utf-8")


@pytest.fixture
def upload_flow(create_chatflow):  # noqa: ANN001, ANN201
    """A chatflow of this test with full-file uploads enabled for text/plain and application/json."""
    return create_chatflow(chatbotConfig=UPLOADS_ON)


def attach(client, flow_id, files, data=None):  # noqa: ANN001, ANN201
    """POST /attachments/{flow_id}/{new chat id} with multipart ``files`` (and form ``data``)."""
    return client.post(item_path("attachments", flow_id, f"fc-chat-{uuid.uuid4()}"), files=files, data=data)


def one_attachment(response):  # noqa: ANN001, ANN201
    expect_status(response, 200)
    body = expect_json(response)
    expect(isinstance(body, list) and len(body) == 1, f"one file sent, answer is {str(body)[:300]}",
           expected='isinstance(body, list) and len(body) == 1', received=body, response=response)
    return expect_schema(body[0], "Attachment", "the attachment")


@pytest.mark.level("MUST")
def test_text_file_content_is_extracted(api, upload_flow):
    """A text/plain file comes back with its text as content."""
    item = one_attachment(attach(api, upload_flow["id"], [("files", ("note.txt", NOTE, "text/plain"))]))
    expect_equal(item["content"], NOTE.decode("utf-8"),
                 f"content is {item['content']!r}, the file holds {NOTE.decode('utf-8')!r}")


@pytest.mark.level("MUST")
def test_size_is_the_file_byte_length(api, upload_flow):
    """An attachment's size is the number of bytes of the uploaded file."""
    item = one_attachment(attach(api, upload_flow["id"], [("files", ("note.txt", NOTE, "text/plain"))]))
    expect_equal(item["size"], len(NOTE), f"size is {item['size']}, the file has {len(NOTE)} bytes")


@pytest.mark.level("MUST")
def test_name_and_mime_type_are_those_uploaded(api, upload_flow):
    """An attachment's name is the uploaded file name and its mimeType the file's content type."""
    item = one_attachment(attach(api, upload_flow["id"], [("files", ("fc-data.json", b'{"a": 1}', "application/json"))]))
    expect_equal((item["name"], item["mimeType"]), ("fc-data.json", "application/json"), f"got {item}")


@pytest.mark.level("MUST")
def test_one_entry_per_file_in_upload_order(api, upload_flow):
    """Two files in one request give two entries, in the order the files were sent."""
    files = [("files", ("first.txt", b"first file\n", "text/plain")), ("files", ("second.txt", b"second file\n", "text/plain"))]
    response = attach(api, upload_flow["id"], files)
    expect_status(response, 200)
    body = expect_json(response)
    expect_type(body, list, f"the answer is not an array: {str(body)[:300]}", response=response)
    got = [(a.get("name"), a.get("content")) for a in body if isinstance(a, dict)]
    expect_equal(got, [("first.txt", "first file\n"), ("second.txt", "second file\n")], f"entries {got}")


@pytest.mark.level("MUST")
def test_upload_needs_no_api_key(anon, upload_flow):
    """POST /attachments/{chatflowId}/{chatId} is public: without an Authorization header it answers 200."""
    item = one_attachment(attach(anon, upload_flow["id"], [("files", ("note.txt", b"public\n", "text/plain"))]))
    expect_equal(item["content"], "public\n", f"content is {item['content']!r}")


@pytest.mark.level("MUST")
def test_base64_true_returns_the_file_bytes_encoded(api, upload_flow):
    """With base64=true the content is the file's bytes, base64-encoded."""
    response = attach(api, upload_flow["id"], [("files", ("note.txt", NOTE, "text/plain"))], data={"base64": "true"})
    item = one_attachment(response)
    expect_equal(item["content"], base64.b64encode(NOTE).decode("ascii"), f"content is {item['content']!r}")


@pytest.mark.level("MUST")
def test_base64_false_returns_the_extracted_text(api, upload_flow):
    """With base64=false the content is the extracted text, as without the field."""
    response = attach(api, upload_flow["id"], [("files", ("note.txt", NOTE, "text/plain"))], data={"base64": "false"})
    item = one_attachment(response)
    expect_equal(item["content"], NOTE.decode("utf-8"), f"content is {item['content']!r}")


@pytest.mark.level("MUST")
def test_upload_to_unknown_chatflow_is_404(api):
    """POST /attachments/{chatflowId}/{chatId} for a chatflow that does not exist answers 404 with the error shape."""
    expect_error(attach(api, str(uuid.uuid4()), [("files", ("note.txt", b"x\n", "text/plain"))]), 404)


@pytest.mark.level("MUST")
def test_upload_not_enabled_is_rejected(api, chatflow):
    """A chatflow without full-file uploads enabled answers 400 or 422 with the error shape."""
    expect_error(attach(api, chatflow["id"], [("files", ("note.txt", b"x\n", "text/plain"))]))


@pytest.mark.level("MUST")
def test_disallowed_mime_type_is_rejected(api, upload_flow):
    """A file whose type the chatflow does not allow (text/csv) answers 400 or 422 with the error shape."""
    expect_error(attach(api, upload_flow["id"], [("files", ("table.csv", b"a,b\n1,2\n", "text/csv"))]))


@pytest.mark.level("MUST")
def test_upload_without_files_is_rejected(api, upload_flow):
    """A multipart request without any file (only the base64 field) answers 400 or 422 with the error shape."""
    expect_error(attach(api, upload_flow["id"], files=[("base64", (None, "false"))]))
