"""The fuzz suite's own checks can fail: the Error envelope, and negative data behind the multipart guard."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import (
    CaseMetadata,
    ComponentInfo,
    FuzzingPhaseData,
    GenerationInfo,
    PhaseInfo,
    TestPhase,
)
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from flowise_conformance.fuzz.checks import MUST_CHECKS, SHOULD_CHECKS, STATEFUL_CHECKS, error_envelope, negative_data_refused
from flowise_conformance.fuzz.schema import load_schema

CHECK_NAMES = {
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "positive_data_acceptance", "ignored_auth", "use_after_free", "ensure_resource_availability",
}


class _Stub(BaseHTTPRequestHandler):
    """Answers every request with what the test put in ``answer``."""

    answer: tuple[int, str, bytes] = (200, "application/json", b"{}")

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, ctype, body = type(self).answer
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _reply

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_check_lists_hold_every_check_the_issue_names():
    """MUST and stateful lists carry the schema checks; SHOULD carries negative-data rejection."""
    names = {getattr(c, "__name__", "") for c in MUST_CHECKS + STATEFUL_CHECKS}
    assert CHECK_NAMES <= names | {"use_after_free", "ensure_resource_availability"}
    assert {"use_after_free", "ensure_resource_availability"} <= {c.__name__ for c in STATEFUL_CHECKS}
    assert error_envelope in MUST_CHECKS and error_envelope in STATEFUL_CHECKS
    assert SHOULD_CHECKS == [negative_data_refused]


@pytest.fixture(scope="module")
def schema():
    return load_schema(["positive", "negative"])


def _negative_multipart_case(schema, body: dict) -> object:
    from schemathesis.generation.case import Case

    op = schema["/api/v1/prediction/{id}"]["POST"]
    meta = CaseMetadata(
        generation=GenerationInfo(time=0.0, mode=GenerationMode.NEGATIVE),
        components={ParameterLocation.BODY: ComponentInfo(mode=GenerationMode.NEGATIVE)},
        phase=PhaseInfo(name=TestPhase.FUZZING, data=FuzzingPhaseData(
            description="test", parameter=None, parameter_location=ParameterLocation.BODY, location=None)),
    )
    return Case(op, "POST", op.path, path_parameters={"id": "not-a-uuid"}, body=body,
                media_type="multipart/form-data", meta=meta)


def test_invalid_multipart_field_accepted_fails_the_negative_check(stub, schema):
    """A form whose text field is invalid as received ('streaming=maybe') and is accepted fails."""
    _Stub.answer = (200, "application/json", b'{"chatId": "c", "chatMessageId": "6f1c2d8e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"}')
    case = _negative_multipart_case(schema, {"question": "q", "streaming": "maybe", "files": [b"abc"]})
    response = case.call(base_url=stub)
    with pytest.raises(FailureGroup, match="Schema-violating request accepted"):
        case.validate_response(response, checks=SHOULD_CHECKS)


def test_multipart_field_valid_as_received_is_not_a_failure(stub, schema):
    """A null question arrives as the text 'None'/'null', a string: accepting it is not a failure."""
    _Stub.answer = (200, "application/json", b'{"chatId": "c", "chatMessageId": "6f1c2d8e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"}')
    case = _negative_multipart_case(schema, {"question": None, "files": [b"abc"]})
    response = case.call(base_url=stub)
    case.validate_response(response, checks=SHOULD_CHECKS)
    # schemathesis 4.32's own check reports it (its form guard gives up on file parts)
    with pytest.raises(FailureGroup):
        case.validate_response(response, checks=[negative_data_rejection])


@pytest.mark.parametrize("answer", [
    (404, "application/json", json.dumps({"error": "nope"}).encode()),
    (404, "text/html", b"<html>nope</html>"),
    (500, "application/json", json.dumps({"statusCode": 400, "success": False, "message": "m"}).encode()),
])
def test_error_answers_without_the_envelope_fail(stub, schema, answer):
    """A 4xx/5xx without {statusCode: <status>, success: false, message} fails the registered check."""
    _Stub.answer = answer
    case = schema["/api/v1/chatflows/{id}"]["GET"].Case(path_parameters={"id": "x"})
    response = case.call(base_url=stub)
    with pytest.raises(FailureGroup, match="Error shape"):
        case.validate_response(response, checks=[error_envelope])


def test_error_answer_with_the_envelope_passes(stub, schema):
    """The documented envelope passes."""
    _Stub.answer = (404, "application/json", json.dumps({"statusCode": 404, "success": False, "message": "m"}).encode())
    case = schema["/api/v1/chatflows/{id}"]["GET"].Case(path_parameters={"id": "x"})
    case.validate_response(case.call(base_url=stub), checks=[error_envelope])


def test_the_private_schemathesis_helpers_the_multipart_guard_reuses_are_there():
    """The multipart guard leans on five private schemathesis functions: all present in the installed release."""
    from flowise_conformance.fuzz.checks import PRIVATE_FORM_HELPERS, schemathesis_form_helpers

    module = schemathesis_form_helpers()
    assert all(callable(getattr(module, name)) for name in PRIVATE_FORM_HELPERS)


def test_a_schemathesis_without_one_of_them_fails_loudly(monkeypatch):
    """A release that renames one is a harness error naming it, not a guard silently switched off."""
    from schemathesis.specs.openapi import checks as st_checks

    from flowise_conformance.errors import HarnessError
    from flowise_conformance.fuzz.checks import schemathesis_form_helpers

    monkeypatch.delattr(st_checks, "_sent_form_fields")
    with pytest.raises(HarnessError) as raised:
        schemathesis_form_helpers()
    assert "_sent_form_fields" in str(raised.value), f"Expected the missing name\nReceived: {raised.value}"
