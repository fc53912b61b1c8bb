"""The spec's operations as the fuzz suite sees them: label, tag, security, capability, state change.

Read from the shipped ``spec/openapi.yaml`` (``flowise_conformance.spec.load_spec``), so the
markers of a fuzz item and the coverage self-test follow the document, not a hand-kept list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flowise_conformance.resources import tag_capability
from flowise_conformance.spec import load_spec

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})



@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the path template, e.g. /api/v1/chatflows/{id}
    tag: str
    public: bool  # security: [] (no API key needed)
    capability: str | None  # x-fc-capability
    negatable: bool = True  # some input can be made invalid (a body, a query or a constrained path
    # parameter; the API key is not generated, see fuzz/schema.py); else no invalid request exists

    @property
    def label(self) -> str:
        """schemathesis' name of the operation, as in the fuzz items' ids: 'GET /api/v1/ping'."""
        return f"{self.method} {self.path}"

    @property
    def mutating(self) -> bool:
        return self.method in STATE_CHANGING

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What a target must not declare unsupported for this operation to be fuzzed."""
        found = [c for c in (tag_capability().get(self.tag), self.capability) if c]  # resources.py
        return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    spec = load_spec()
    default_security = spec.get("security")
    found = []
    for path, item in (spec.get("paths") or {}).items():
        for method, op in (item or {}).items():
            if method not in HTTP_METHODS or not isinstance(op, dict):
                continue
            security = op.get("security", default_security)
            tags = op.get("tags") or [op.get("x-fc-resource", "-")]
            found.append(Operation(
                operation_id=op.get("operationId", f"{method.upper()} {path}"),
                method=method.upper(),
                path=path,
                tag=tags[0],
                public=security == [],
                capability=op.get("x-fc-capability"),
                negatable=_negatable(spec, op, item.get("parameters") or []),
            ))
    return tuple(found)


def _resolve(spec: dict, node: object) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        target: object = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


def _negatable(spec: dict, op: dict, path_params: list) -> bool:
    if op.get("requestBody"):
        return True
    for param in [*path_params, *(op.get("parameters") or [])]:
        param = _resolve(spec, param)
        if param.get("in") != "path":
            return True
        schema = _resolve(spec, param.get("schema"))
        if set(schema) - {"type", "description", "examples", "example"} or schema.get("type") != "string":
            return True
    return False


def not_negatable() -> list[str]:
    """operationIds of the operations no request to which can be schema-invalid (no body, no query, no constrained path parameter)."""
    return [op.operation_id for op in operations() if not op.negatable]


@lru_cache(maxsize=1)
def by_label() -> dict[str, Operation]:
    return {op.label: op for op in operations()}


@lru_cache(maxsize=1)
def by_id() -> dict[str, Operation]:
    return {op.operation_id: op for op in operations()}


@lru_cache(maxsize=1)
def _matchers() -> list[tuple[str, re.Pattern[str], Operation]]:
    """(method, path regex, operation), the most literal templates first (/chatflows/apikey/{k} before /chatflows/{id})."""
    found = []
    for op in operations():
        parts = op.path.strip("/").split("/")
        pattern = "^/" + "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?$"
        found.append((sum(not p.startswith("{") for p in parts), op.method, re.compile(pattern), op))
    found.sort(key=lambda row: -row[0])
    return [(method, pattern, op) for _, method, pattern, op in found]


def match(method: str, path: str) -> Operation | None:
    """The spec operation a request (method, URL path without query) is routed to, if any."""
    method = method.upper()
    for op_method, pattern, op in _matchers():
        if op_method == method and pattern.match(path):
            return op
    return None
