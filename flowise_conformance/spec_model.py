"""The spec's operations, read once from spec/openapi.yaml, with every local $ref resolved, read-only.

    operations() -> tuple[Operation, ...]   in the document's order (path, then method)
    by_id(), by_label()                     operationId -> Operation, 'GET /api/v1/ping' -> Operation
    match(method, path) -> Operation | None the operation a request is routed to (most literal template first)

An ``Operation`` has its method, path template, operationId, tag (its resource, resources.py),
``public`` (effective security ``[]``), ``x-fc-capability``, its parameters (path-level ones
first), its request body schemas per media type and its response schemas per status and media
type. Mappings are ``MappingProxyType`` and lists tuples: a reader cannot change what the others see.

This is the only module that walks the document's ``paths``; the error-shape hook, the fuzz suite,
the auth matrix, coverage, proof and the resource registry read these operations
(tests/test_spec_model.py keeps it so). $refs are looked up with ``referencing`` (a dependency
through jsonschema); a schema that refers to itself keeps the inner ``$ref`` instead of recursing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, Mapping

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_URI = "urn:fc:openapi"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: Mapping[str, Any]
    ref: str | None  # the component name when the spec gave a $ref (e.g. 'ChatflowId'), else None


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the path template, e.g. /api/v1/chatflows/{id}
    tag: str  # the resource (resources.py)
    public: bool  # effective security is [] (no API key needed)
    capability: str | None  # x-fc-capability
    parameters: tuple[Parameter, ...]
    request_body: Mapping[str, Mapping[str, Any]]  # media type -> schema; empty: no body
    responses: Mapping[str, Mapping[str, Mapping[str, Any]]]  # status -> media type -> schema

    @property
    def label(self) -> str:
        """schemathesis' name of the operation, as in the fuzz items' ids: 'GET /api/v1/ping'."""
        return f"{self.method} {self.path}"

    @property
    def mutating(self) -> bool:
        return self.method in STATE_CHANGING

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What a target must not declare unsupported for this operation: its resource's and its own."""
        from flowise_conformance.resources import tag_capability

        return tuple(dict.fromkeys(c for c in (tag_capability().get(self.tag), self.capability) if c))

    @property
    def negatable(self) -> bool:
        """Some input can be made schema-invalid: a body, a query/header parameter or a constrained path
        parameter (the API key is not generated, see fuzz/schema.py); else no invalid request exists."""
        if self.request_body:
            return True
        unconstrained = {"type", "description", "examples", "example"}
        return any(p.location != "path" or set(p.schema) - unconstrained or p.schema.get("type") != "string"
                   for p in self.parameters)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The request paths this template matches: a parameter is one segment, a trailing '/' is allowed."""
        parts = self.path.strip("/").split("/")
        return re.compile("^/" + "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?$")

    @property
    def literal_segments(self) -> int:
        return sum(not p.startswith("{") for p in self.path.strip("/").split("/"))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class _Resolver:
    """Deep-resolves local $refs of the document through ``referencing``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        registry = Registry().with_resource(_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
        self._resolver = registry.resolver(base_uri=_URI)

    def lookup(self, ref: str) -> Any:
        return self._resolver.lookup(ref).contents

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in seen:
                    return dict(node)  # a recursive schema: keep the inner reference
                return self.resolve(self.lookup(ref), (*seen, ref))
            return {k: self.resolve(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, seen) for v in node]
        return node


def _parameter(resolver: _Resolver, raw: Any) -> Parameter:
    ref = raw.get("$ref") if isinstance(raw, dict) else None
    param = resolver.resolve(raw)
    return Parameter(param["name"], param.get("in", ""), bool(param.get("required", param.get("in") == "path")),
                     _freeze(param.get("schema") or {}), ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None)


def _content(node: Any) -> Mapping[str, Mapping[str, Any]]:
    content = (node or {}).get("content") or {}
    return _freeze({media: (entry or {}).get("schema") or {} for media, entry in content.items()})


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    from flowise_conformance.spec import load_spec

    spec = load_spec()
    resolver = _Resolver(spec)
    default_security = spec.get("security")
    found = []
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method, op in item.items():
            if method not in HTTP_METHODS or not isinstance(op, dict):
                continue
            tags = op.get("tags") or [op.get("x-fc-resource", "-")]
            responses = {str(status): _content(resolver.resolve(r)) for status, r in (op.get("responses") or {}).items()}
            found.append(Operation(
                operation_id=op.get("operationId", f"{method.upper()} {path}"),
                method=method.upper(),
                path=path,
                tag=str(tags[0]),
                public=op.get("security", default_security) == [],
                capability=op.get("x-fc-capability"),
                parameters=tuple(_parameter(resolver, p) for p in [*shared, *(op.get("parameters") or [])]),
                request_body=_content(resolver.resolve(op.get("requestBody"))) if op.get("requestBody") else _EMPTY,
                responses=MappingProxyType(responses),
            ))
    return tuple(found)


@lru_cache(maxsize=1)
def by_label() -> Mapping[str, Operation]:
    return MappingProxyType({op.label: op for op in operations()})


@lru_cache(maxsize=1)
def by_id() -> Mapping[str, Operation]:
    return MappingProxyType({op.operation_id: op for op in operations()})


def operation(method: str, path: str) -> Operation | None:
    """The operation of this method on this exact path template, if the spec has one."""
    return by_label().get(f"{method.upper()} {path}")


@lru_cache(maxsize=1)
def _most_literal_first() -> tuple[Operation, ...]:
    return tuple(sorted(operations(), key=lambda op: -op.literal_segments))  # stable: document order within


def match(method: str, path: str) -> Operation | None:
    """The spec operation a request (method, URL path without query) is routed to, if any
    (the most literal template first: /chatflows/apikey/{k} before /chatflows/{id})."""
    method = method.upper()
    return next((op for op in _most_literal_first() if op.method == method and op.pattern.match(path)), None)
