"""Self-tests of spec/openapi.yaml: the normative document is valid OpenAPI 3.1, complete, and
follows the suite's policy (tags, public operations, one error envelope), and schemathesis can
load every operation of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "openapi.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

ERROR_SCHEMA_REF = "#/components/schemas/Error"

# Every operation of the contract, (METHOD, path) -> operationId. Deleting or renaming an
# operation in the document must be a deliberate edit of this list too. This list and
# PUBLIC_OPERATIONS are the spec's check, kept apart from the document on purpose; the code reads
# resources and public paths from the spec through flowise_conformance/resources.py, never from here.
EXPECTED_OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/ping"): "ping",
    ("GET", "/api/v1/chatflows"): "listChatflows",
    ("POST", "/api/v1/chatflows"): "createChatflow",
    ("GET", "/api/v1/chatflows/{id}"): "getChatflow",
    ("PUT", "/api/v1/chatflows/{id}"): "updateChatflow",
    ("DELETE", "/api/v1/chatflows/{id}"): "deleteChatflow",
    ("GET", "/api/v1/chatflows/apikey/{apikey}"): "getChatflowsByApiKey",
    ("GET", "/api/v1/chatflows-streaming/{id}"): "getChatflowStreaming",
    ("GET", "/api/v1/chatflows-uploads/{id}"): "getChatflowUploads",
    ("POST", "/api/v1/prediction/{id}"): "createPrediction",
    ("GET", "/api/v1/assistants"): "listAssistants",
    ("POST", "/api/v1/assistants"): "createAssistant",
    ("GET", "/api/v1/assistants/{id}"): "getAssistant",
    ("PUT", "/api/v1/assistants/{id}"): "updateAssistant",
    ("DELETE", "/api/v1/assistants/{id}"): "deleteAssistant",
    ("GET", "/api/v1/document-store/store"): "listDocumentStores",
    ("POST", "/api/v1/document-store/store"): "createDocumentStore",
    ("GET", "/api/v1/document-store/store/{id}"): "getDocumentStore",
    ("PUT", "/api/v1/document-store/store/{id}"): "updateDocumentStore",
    ("DELETE", "/api/v1/document-store/store/{id}"): "deleteDocumentStore",
    ("GET", "/api/v1/document-store/components/loaders"): "listDocumentLoaders",
    ("POST", "/api/v1/document-store/loader/preview"): "previewDocumentChunks",
    ("GET", "/api/v1/document-store/chunks/{storeId}/{fileId}/{pageNo}"): "listDocumentStoreChunks",
    ("GET", "/api/v1/chatmessage/{id}"): "listChatMessages",
    ("DELETE", "/api/v1/chatmessage/{id}"): "deleteChatMessages",
    ("GET", "/api/v1/tools"): "listTools",
    ("POST", "/api/v1/tools"): "createTool",
    ("GET", "/api/v1/tools/{id}"): "getTool",
    ("PUT", "/api/v1/tools/{id}"): "updateTool",
    ("DELETE", "/api/v1/tools/{id}"): "deleteTool",
    ("GET", "/api/v1/variables"): "listVariables",
    ("POST", "/api/v1/variables"): "createVariable",
    ("PUT", "/api/v1/variables/{id}"): "updateVariable",
    ("DELETE", "/api/v1/variables/{id}"): "deleteVariable",
    ("POST", "/api/v1/feedback/{id}"): "createFeedback",
    ("GET", "/api/v1/feedback/{id}"): "listFeedback",
    ("PUT", "/api/v1/feedback/{id}"): "updateFeedback",
    ("POST", "/api/v1/attachments/{chatflowId}/{chatId}"): "createAttachments",
    ("POST", "/api/v1/vector/upsert/{id}"): "upsertVector",
}

# Operations that need no API key. These are exactly the ones under Flowise's WHITELIST_URLS
# (packages/server/src/utils/constants.ts; identical in npm flowise@3.1.4, see
# shared/research/flowise-contract.md §4.1): /api/v1/ping, /api/v1/prediction/,
# /api/v1/feedback, /api/v1/attachments, /api/v1/chatflows/apikey/, /api/v1/chatflows-streaming,
# /api/v1/chatflows-uploads. Vector upsert and chat messages are NOT whitelisted.
PUBLIC_OPERATIONS = frozenset(
    {
        "ping",
        "createPrediction",
        "createFeedback",
        "listFeedback",
        "updateFeedback",
        "createAttachments",
        "getChatflowsByApiKey",
        "getChatflowStreaming",
        "getChatflowUploads",
    }
)

# The resources (= tags) of the contract, stated apart from the document like EXPECTED_OPERATIONS:
# the registry derives them from the spec's tags, so only this list notices a tag added or dropped by mistake.
RESOURCES = frozenset(
    {
        "ping", "chatflows", "prediction", "assistants", "document-store", "chatmessage",
        "tools", "variables", "feedback", "attachments", "vector-upsert",
    }
)

CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the document."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s until a node without one."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"non-local $ref {ref!r}"
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def effective_security(spec: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    return operation["security"] if "security" in operation else spec.get("security", [])


def test_document_validates_as_openapi_3_1() -> None:
    """The document passes openapi-spec-validator's OpenAPI 3.1 validation."""
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    with SPEC_PATH.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_paths_are_full_and_the_server_is_a_bare_origin(spec: dict[str, Any]) -> None:
    """Every path starts with /api/v1/ and `servers` is the bare origin, so the base URL is just the origin."""
    assert [server["url"] for server in spec["servers"]] == ["http://127.0.0.1:3000"]
    bad = [path for path in spec["paths"] if not path.startswith("/api/v1/")]
    assert not bad, f"paths not under /api/v1/: {bad}"


def test_operations_equal_the_expected_list(spec: dict[str, Any]) -> None:
    """The document has exactly the expected operations, with the expected operationIds."""
    actual = {(method, path): op.get("operationId") for method, path, op in operations(spec)}
    missing = sorted(set(EXPECTED_OPERATIONS) - set(actual))
    extra = sorted(set(actual) - set(EXPECTED_OPERATIONS))
    assert not missing and not extra, f"missing: {missing}; unexpected: {extra}"
    renamed = {key: (EXPECTED_OPERATIONS[key], op_id) for key, op_id in actual.items()
               if op_id != EXPECTED_OPERATIONS[key]}
    assert not renamed, f"operationId changed (expected, actual): {renamed}"


def test_every_operation_has_a_unique_camel_case_operation_id_and_a_summary(spec: dict[str, Any]) -> None:
    """Each operation has a camelCase operationId, unique in the document, and a summary."""
    seen: dict[str, str] = {}
    problems = []
    for method, path, op in operations(spec):
        op_id = op.get("operationId")
        if not isinstance(op_id, str) or not CAMEL_CASE.match(op_id):
            problems.append(f"{method} {path}: operationId {op_id!r} is not camelCase")
        elif op_id in seen:
            problems.append(f"{method} {path}: operationId {op_id!r} already used by {seen[op_id]}")
        else:
            seen[op_id] = f"{method} {path}"
        if not str(op.get("summary", "")).strip():
            problems.append(f"{method} {path}: no summary")
    assert not problems, "\n".join(problems)


def test_every_operation_has_one_resource_tag_and_x_fc_resource_equal_to_it(spec: dict[str, Any]) -> None:
    """Each operation has exactly one tag, a declared resource, and `x-fc-resource` equal to that tag.
    (That the declared tags are the registry's resources: tests/test_resources.py.)"""
    declared = {tag["name"] for tag in spec["tags"]}
    assert declared == RESOURCES, f"Expected the tags {sorted(RESOURCES)}\nReceived {sorted(declared)}"
    problems = []
    for method, path, op in operations(spec):
        tags = op.get("tags", [])
        if len(tags) != 1 or tags[0] not in declared:
            problems.append(f"{method} {path}: tags {tags!r}")
        elif op.get("x-fc-resource") != tags[0]:
            problems.append(f"{method} {path}: x-fc-resource {op.get('x-fc-resource')!r} != tag {tags[0]!r}")
    assert not problems, "\n".join(problems)


def test_only_the_whitelisted_operations_are_public(spec: dict[str, Any]) -> None:
    """An operation is public (`security: []`) iff it is in PUBLIC_OPERATIONS; all others require bearerAuth."""
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]
    problems = []
    for method, path, op in operations(spec):
        security = effective_security(spec, op)
        if op["operationId"] in PUBLIC_OPERATIONS:
            if op.get("security") != []:
                problems.append(f"{method} {path}: public but security is {op.get('security')!r}")
        elif security != [{"bearerAuth": []}]:
            problems.append(f"{method} {path}: protected operations need security [bearerAuth], got {security!r}")
    assert not problems, "\n".join(problems)


def test_every_protected_operation_documents_401(spec: dict[str, Any]) -> None:
    """Each operation that requires an API key documents the 401 answer to a missing or bad key."""
    missing = [
        f"{method} {path}"
        for method, path, op in operations(spec)
        if effective_security(spec, op) and "401" not in op["responses"]
    ]
    assert not missing, f"protected operations without 401: {missing}"


def test_error_schema_is_the_flowise_error_envelope(spec: dict[str, Any]) -> None:
    """components/schemas/Error is {statusCode: integer, success: false, message: string, stack}; 3 required."""
    error = spec["components"]["schemas"]["Error"]
    assert error["type"] == "object"
    assert set(error["required"]) == {"statusCode", "success", "message"}
    props = error["properties"]
    assert props["statusCode"]["type"] == "integer"
    assert props["success"] == {"const": False}
    assert props["message"] == {"type": "string"}
    assert "stack" in props
    assert error.get("additionalProperties", True) is not False


def test_every_error_response_is_a_shared_json_error_envelope(spec: dict[str, Any]) -> None:
    """Each 4xx/5xx response is a $ref to a shared response whose only content is JSON with the Error schema."""
    problems = []
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if str(status)[0] not in "45":
                continue
            where = f"{method} {path} {status}"
            ref = response.get("$ref", "")
            if not ref.startswith("#/components/responses/"):
                problems.append(f"{where}: not a $ref to components/responses")
                continue
            content = resolve(spec, response).get("content", {})
            if list(content) != ["application/json"]:
                problems.append(f"{where}: content types {list(content)}")
            elif content["application/json"].get("schema") != {"$ref": ERROR_SCHEMA_REF}:
                problems.append(f"{where}: schema is not {ERROR_SCHEMA_REF}")
    assert not problems, "\n".join(problems)


def test_request_bodies_reject_undeclared_fields(spec: dict[str, Any]) -> None:
    """Each JSON and multipart request body schema sets additionalProperties: false, or says in
    x-fc-open-because why it is open (issue 19: a body neither the docs nor Flowise close stays open)."""
    problems = []
    for method, path, op in operations(spec):
        if "requestBody" not in op:
            continue
        for media_type, media in resolve(spec, op["requestBody"])["content"].items():
            schema = resolve(spec, media["schema"])
            if schema.get("additionalProperties") is not False and not schema.get("x-fc-open-because"):
                problems.append(f"{method} {path} {media_type}")
    assert not problems, f"request bodies open to extra fields: {problems}"


def test_every_link_targets_an_operation_of_the_document(spec: dict[str, Any]) -> None:
    """Each OpenAPI link names an existing operationId."""
    known = {op["operationId"] for _, _, op in operations(spec)}
    problems = []
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            for name, link in resolve(spec, response).get("links", {}).items():
                if link.get("operationId") not in known:
                    problems.append(f"{method} {path} {status} {name}: {link.get('operationId')!r}")
    assert not problems, f"links to unknown operations: {problems}"


def test_every_capability_marker_names_a_known_capability(spec: dict[str, Any]) -> None:
    """Each `x-fc-capability` names a capability a target can declare (resources.known_capabilities())."""
    from flowise_conformance.resources import known_capabilities

    unknown = {
        f"{method} {path}": op["x-fc-capability"]
        for method, path, op in operations(spec)
        if "x-fc-capability" in op and op["x-fc-capability"] not in known_capabilities()
    }
    assert not unknown, f"unknown capabilities: {unknown}"


def test_schemathesis_loads_every_operation() -> None:
    """schemathesis.openapi.from_path loads the document and yields every expected operation without an error."""
    import schemathesis

    from schemathesis.core.result import Err

    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    labels, errors = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            errors.append(result.err())
        else:
            labels.append(result.ok().label)
    assert not errors, f"schemathesis could not load: {errors}"
    assert len(labels) == len(EXPECTED_OPERATIONS)
    assert sorted(labels) == sorted(f"{method} {path}" for method, path in EXPECTED_OPERATIONS)
