"""The official Flowise SDKs work against the target: what their users get is the documented answer.

Each test drives one SDK (parameter ``python-sdk``: PyPI ``flowise`` 1.0.x in-process; ``js-sdk``:
npm ``flowise-sdk`` 1.0.x under Node) through one scenario. The SDKs are not patched: every request
and every parse is theirs, so a server whose bytes a strict parser accepts but a real client
mis-reads fails here. Both SDKs first ask ``GET /chatflows-streaming/{id}`` (without the key) and
stream only when it says ``isStreaming``; both send ``chatflowId`` in the prediction body.
"""
from __future__ import annotations

import base64
import uuid

import pytest

from flowise_conformance.checks.core import ConformanceFailure
from flowise_conformance.clients.checks import expect_answer, reported_status, stream_events, streamed_text
from flowise_conformance.flows import echo_answer

pytestmark = [pytest.mark.resource("clients"), pytest.mark.mutating, pytest.mark.requires("prediction")]

QUESTION = "hello from an official client"


@pytest.mark.source('docs+flowise', docs='POST /prediction/{id}: 200 text and chatId', flowise='observed 3.1.4: PyPI flowise 1.0.4 and npm flowise-sdk 1.0.9 get the answer')
@pytest.mark.level("SHOULD")
def test_sdk_prediction_returns_the_flows_answer(sdk, chatflow):
    """A non-streamed SDK prediction returns the answer object whose text is the flow's reply to the question."""
    answer = expect_answer(sdk.predict(chatflow["id"], QUESTION))
    if answer.get("text") != echo_answer(QUESTION):
        raise ConformanceFailure(f"The {sdk.label} got another answer", f"text = {echo_answer(QUESTION)!r}",
                                 repr(answer)[:400])
    if not isinstance(answer.get("chatId"), str) or not answer["chatId"]:
        raise ConformanceFailure(f"The {sdk.label} got no chatId", "a non-empty chatId string", repr(answer)[:400])


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: streaming 'Enable streaming responses'", flowise="observed 3.1.4: the SDKs' streamed token events join to the answer text")
@pytest.mark.level("SHOULD")
@pytest.mark.requires("streaming")
def test_sdk_stream_tokens_join_to_the_answer_text(sdk, stream_flow):
    """The events an SDK yields for a streamed prediction parse as Flowise events whose tokens join to the non-streamed text."""
    text = expect_answer(sdk.predict(stream_flow, QUESTION)).get("text")
    events = stream_events(sdk.predict(stream_flow, QUESTION, streaming=True))
    names = [e.name for e in events]
    if "token" not in names:
        raise ConformanceFailure(f"The {sdk.label} yielded no token", "at least one 'token' event", repr(names))
    if streamed_text(events) != text:
        raise ConformanceFailure(f"The tokens the {sdk.label} yielded differ from the answer's text",
                                 f"tokens joined = {text!r}", f"{streamed_text(events)!r} (events {names})")


@pytest.mark.source('docs+flowise', docs='schema Prediction: chatId continues the chat', flowise="observed 3.1.4: the SDKs' chatId is kept")
@pytest.mark.level("SHOULD")
def test_sdk_chat_id_continues_the_chat(sdk, chatflow):
    """A second SDK prediction given the first answer's chatId is answered in that same chat."""
    first = expect_answer(sdk.predict(chatflow["id"], QUESTION))
    chat_id = first.get("chatId")
    if not isinstance(chat_id, str) or not chat_id:
        raise ConformanceFailure(f"The {sdk.label} got no chatId", "a non-empty chatId string", repr(first)[:400])
    second = expect_answer(sdk.predict(chatflow["id"], "and again", chat_id=chat_id))
    if second.get("chatId") != chat_id:
        raise ConformanceFailure("The chat was not continued", f"chatId {chat_id!r} answered back",
                                 f"chatId {second.get('chatId')!r} in {repr(second)[:300]}")
    if second.get("text") != echo_answer("and again"):
        raise ConformanceFailure("The continued chat got another answer", f"text = {echo_answer('and again')!r}",
                                 repr(second)[:400])


@pytest.mark.source('docs+flowise', docs="schema Prediction: uploads type 'file:full'", flowise='observed 3.1.4: an SDK file:full upload reaches the flow')
@pytest.mark.level("SHOULD")
@pytest.mark.requires("uploads")
def test_sdk_upload_reaches_the_flow(sdk, chatflow):
    """A file:full upload sent through the SDK reaches the flow: the reply carries the file (as sent or decoded) and the answer."""
    content = f"fc sdk upload {uuid.uuid4().hex}"
    upload = {"data": "data:text/plain;base64," + base64.b64encode(content.encode()).decode(),
              "type": "file:full", "name": "fc-sdk-note.txt", "mime": "text/plain"}
    answer = expect_answer(sdk.predict(chatflow["id"], "read the file", uploads=[upload]))
    text = str(answer.get("text"))
    if (content not in text and upload["data"] not in text) or echo_answer("read the file") not in text:
        raise ConformanceFailure("The upload did not reach the flow",
                                 f"a reply with the file ({content!r} or its data URL) and {echo_answer('read the file')!r}",
                                 repr(text[:400]))


@pytest.mark.source('docs', docs="POST /prediction/{id}: 404 'Chatflow with specified ID does not exist'", flowise="observed 3.1.4: the SDKs' first request GET /chatflows-streaming/{id} answers 500; a streamed failing request gets no answer")
@pytest.mark.level("SHOULD")
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "streamed"])
def test_sdk_reports_an_unknown_chatflow_as_404(sdk, target, streaming):
    """An SDK prediction for an unknown chatflow ends at once with the error its user can see, carrying status 404."""
    call = sdk.predict(str(uuid.uuid4()), QUESTION, streaming=streaming, deadline=target.timeouts.request)
    status = reported_status(call)
    if status != 404:
        raise ConformanceFailure(f"The {sdk.label} does not report the unknown chatflow as 404",
                                 "Python: requests.HTTPError 404; JS: the error body with statusCode 404 "
                                 "(or 'HTTP error! status: 404' when streaming)",
                                 f"status {status}: {call.describe()}")
