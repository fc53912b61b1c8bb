"""The auth matrix, generated from the spec's security requirements (not a hand-written list).

Every operation of spec/openapi.yaml whose effective security is bearerAuth is protected:
without an Authorization header, with a malformed header (the right key under another scheme)
and with a wrong key it answers 401 -- before it looks anything up, so path ids are the run's
own chatflow or random uuids -- and with the right key it is not refused. Every operation
marked ``security: []`` works without a key. A key is never taken from the query string.

Safety: requests sent with the right key use random uuids for every path id and ``{}`` as
body, so they can touch nothing the run does not own; anything a create answers with an id
is journaled and deleted. The per-chatflow key of predictions (a chatflow bound to an API
key) is checked once, in prediction/test_prediction_apikey.py, not here.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from flowise_conformance.checks import expect_status
from flowise_conformance.checks.core import ConformanceFailure, describe
from flowise_conformance import spec_model
from flowise_conformance.ids import item_path
from flowise_conformance.resources import owned

pytestmark = [pytest.mark.resource("auth")]

METHODS = ("get", "put", "post", "delete", "patch")
CREATED_KIND = {r.collection: kind for kind, r in owned().items()}  # what a 200 with an id made, for the tracker
WRONG_KEY = "fc-wrong-key-" + "0" * 24
QUERY_KEY_NAMES = ("apiKey", "api_key", "token")


@dataclass(frozen=True)
class Operation:
    op_id: str
    method: str
    template: str
    public: bool
    params: tuple[tuple[str, str], ...]  # (name, kind): kind is chatflow | apikey | integer | id
    body: str | None  # json | multipart | None
    capabilities: tuple[str, ...]

    def path(self, *, chatflow_id: str | None = None, apikey: str | None = None) -> str:
        path = self.template
        for name, kind in self.params:
            if kind == "chatflow" and chatflow_id:
                value = chatflow_id
            elif kind == "apikey" and apikey:
                value = apikey
            elif kind == "integer":
                value = "1"
            else:
                value = str(uuid.uuid4())
            path = path.replace("{" + name + "}", value)
        return path

    def request_kwargs(self, question: str | None = None) -> dict[str, Any]:
        if self.body == "json":
            return {"json": {"question": question} if question else {}}
        if self.body == "multipart":
            return {"files": {"files": ("fc-auth.txt", b"fc auth matrix\n", "text/plain")}}
        return {}


def _kind(param: Any) -> str:
    if param.ref == "ChatflowId" or param.name == "chatflowId":
        return "chatflow"
    if param.name == "apikey":
        return "apikey"
    return "integer" if param.schema.get("type") == "integer" or param.name == "pageNo" else "id"


def _operations() -> list[Operation]:
    """The spec model's operations (flowise_conformance.spec_model), with path ids and body as the matrix sends them."""
    found = []
    for op in spec_model.operations():
        if op.method.lower() not in METHODS:
            continue
        params = tuple((p.name, _kind(p)) for p in op.parameters if p.location == "path")
        body = ("json" if "application/json" in op.request_body else "multipart") if op.request_body else None
        found.append(Operation(op.operation_id, op.method, op.path, op.public, params, body, op.capabilities))
    return found


OPERATIONS = _operations()
PROTECTED = [op for op in OPERATIONS if not op.public]
PUBLIC = [op for op in OPERATIONS if op.public]


def _param(op: Operation, *extra: Any, id_: str | None = None) -> Any:
    marks = [pytest.mark.requires(*op.capabilities)] if op.capabilities else []
    if op.method != "GET":
        marks.append(pytest.mark.mutating)
    return pytest.param(op, *extra, id=id_ or op.op_id, marks=marks)


def _send(client: Any, op: Operation, path: str, tracker: Any, **kwargs: Any) -> Any:
    response = client.request(op.method, path, **kwargs)
    if op.method == "POST" and op.template in CREATED_KIND and response.is_success:
        made = tracker.track_response(CREATED_KIND[op.template], response)
        if isinstance(made, dict) and isinstance(made.get("id"), str):
            tracker.delete(CREATED_KIND[op.template], made["id"])
    return response


def _expect_401(response: Any, what: str) -> None:
    expect_status(response, 401, why=f"a protected operation {what} must be refused with 401")


@pytest.fixture(scope="module")
def matrix_chatflow(request, api, tracker, run_context, target) -> Iterator[str | None]:  # noqa: ANN001
    """The id protected operations get when no key is sent: a chatflow this module creates and deletes.

    In --read-only mode nothing is created: the target's ``fixtures.chatflow_id`` is used (only
    read), else None, and chatflow ids become random uuids.
    """
    from flowise_conformance.errors import HarnessError
    from flowise_conformance.flows import direct_reply_agentflow

    if request.config.getoption("--read-only", default=False):
        yield target.fixtures.get("chatflow_id")
        return
    name = run_context.name("auth-matrix")
    response = api.post("chatflows", json={"name": name, "flowData": direct_reply_agentflow(), "type": "AGENTFLOW"})
    flow = tracker.track_response("chatflow", response, name)
    if response.status_code != 200 or not isinstance(flow, dict) or "id" not in flow:
        raise HarnessError(f"could not create a chatflow: POST /api/v1/chatflows answered {response.status_code}")
    yield flow["id"]
    tracker.delete("chatflow", flow["id"])


@pytest.mark.level("MUST")
@pytest.mark.parametrize("op", [_param(op) for op in PROTECTED])
def test_protected_operation_without_key_is_401(anon, tracker, matrix_chatflow, op):
    """A protected operation answers 401 to a request without an Authorization header."""
    response = _send(anon, op, op.path(chatflow_id=matrix_chatflow), tracker, **op.request_kwargs())
    _expect_401(response, "without an Authorization header")


@pytest.mark.level("MUST")
@pytest.mark.parametrize("op", [_param(op) for op in PROTECTED])
def test_protected_operation_with_malformed_header_is_401(anon, target, tracker, matrix_chatflow, op):
    """A protected operation answers 401 when the right key comes under another scheme ('Basic <key>')."""
    headers = {"Authorization": f"Basic {target.api_key}"}
    response = _send(anon, op, op.path(chatflow_id=matrix_chatflow), tracker, headers=headers,
                     **op.request_kwargs())
    _expect_401(response, "with a malformed Authorization header")


@pytest.mark.level("MUST")
@pytest.mark.parametrize("op", [_param(op) for op in PROTECTED])
def test_protected_operation_with_wrong_key_is_401(anon, tracker, matrix_chatflow, op):
    """A protected operation answers 401 to 'Authorization: Bearer <a wrong key>'."""
    headers = {"Authorization": f"Bearer {WRONG_KEY}"}
    response = _send(anon, op, op.path(chatflow_id=matrix_chatflow), tracker, headers=headers,
                     **op.request_kwargs())
    _expect_401(response, "with a wrong key")


@pytest.mark.level("MUST")
@pytest.mark.parametrize("op", [_param(op) for op in PROTECTED])
def test_protected_operation_with_right_key_is_not_refused(api, tracker, op):
    """With the right Bearer key a protected operation is not answered 401 (random ids, empty body: nothing owned by others is touched)."""
    response = _send(api, op, op.path(), tracker, **op.request_kwargs())
    if response.status_code == 401:
        raise ConformanceFailure("The right API key was refused", "any status but 401", describe(response))


@pytest.mark.level("MUST")
@pytest.mark.parametrize("op", [_param(op) for op in PUBLIC])
def test_public_operation_works_without_key(anon, target, tracker, matrix_chatflow, op):
    """A public operation (security: []) works without an Authorization header: 200 for reads and predictions, never 401/403."""
    if matrix_chatflow is None and any(kind == "chatflow" for _, kind in op.params):
        pytest.skip("read-only mode and no fixtures.chatflow_id: there is no chatflow to read")
    path = op.path(chatflow_id=matrix_chatflow, apikey=target.api_key)
    question = "fc auth matrix" if op.op_id == "createPrediction" else None
    response = _send(anon, op, path, tracker, **op.request_kwargs(question))
    if op.method == "GET" or op.op_id == "createPrediction":
        expect_status(response, 200, why="a public operation must work without a key")
    elif response.status_code in (401, 403):
        raise ConformanceFailure("A public operation refused a request without a key", "any status but 401 or 403",
                                 describe(response))


QUERY_CASES = [_param(op, name, id_=f"{name}-{op.op_id}") for name in QUERY_KEY_NAMES for op in PROTECTED
               if op.method == "GET"]


@pytest.mark.level("MUST")
@pytest.mark.parametrize(("op", "name"), QUERY_CASES)
def test_api_key_in_the_query_string_is_refused(anon, target, tracker, matrix_chatflow, op, name):
    """The right key in the query string (?apiKey=, ?api_key=, ?token=) and no header: a protected read answers 401."""
    response = _send(anon, op, op.path(chatflow_id=matrix_chatflow), tracker, params={name: target.api_key})
    _expect_401(response, f"with the key in ?{name}= and no header")


@pytest.mark.level("SHOULD")
def test_key_without_the_bearer_scheme_is_401(anon, target):
    """'Authorization: <key>' (the right key with no scheme) is not a Bearer credential: GET /chatflows answers 401."""
    response = anon.get("chatflows", headers={"Authorization": target.api_key})
    _expect_401(response, "with a bare key and no 'Bearer ' scheme")


@pytest.mark.level("SHOULD")
@pytest.mark.requires("chatflows")
def test_chatflows_by_a_wrong_api_key_is_401(anon):
    """GET /chatflows/apikey/{key} with a key that does not exist answers 401."""
    response = anon.get(item_path("chatflows/apikey", WRONG_KEY))
    _expect_401(response, "(chatflows by API key) for an unknown key")
