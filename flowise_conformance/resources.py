"""The resource registry: one place for what the suite knows about each resource of the API.

A resource is one tag of spec/openapi.yaml (its name is the tag, the suites' ``resource`` marker
and a ``--profile`` name), declared with the tag: ``x-fc-capability`` (what a target may declare
unsupported) and ``x-fc-kind`` (the tracker's kind of the objects it owns). Derived from the spec,
never repeated: its paths, the collection it creates in and the item path that deletes (a POST
path whose ``/{id}`` has a DELETE), whether an object is read back by its item or from the list
(proof.py), the create, item and delete operations, and the public operations (``security: []``),
from which the reference server takes its unauthenticated prefixes. Kept here: the core profile,
the capabilities of parts of resources, and Flowise's public paths outside the spec.

Read by the tracker, cleanup and proof, the safety guard, the auth matrix, config, gating (core
profile) and the fuzz suite. tests/test_resources.py checks the registry against the spec: every
spec path belongs to exactly one resource, and every resource's paths exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

@dataclass(frozen=True)
class Resource:
    name: str  # the spec tag
    capability: str | None = None  # a target that declares it false is not tested on this resource
    kind: str | None = None  # the tracker's kind of the objects a create makes; None: it owns none

    @cached_property
    def paths(self) -> tuple[str, ...]:
        """The spec's path templates whose operations carry this tag."""
        return tuple(dict.fromkeys(op.path for op in _model().operations() if op.tag == self.name))

    @cached_property
    def collection(self) -> str | None:
        """Where a POST creates an owned object: a path of this tag whose ``/{id}`` has a DELETE."""
        if self.kind is None:
            return None
        model = _model()
        found = [p for p in self.paths if model.operation("post", p) and model.operation("delete", p + "/{id}")]
        return found[0] if len(found) == 1 else None

    @property
    def item(self) -> str | None:
        """The path template that reads, updates and deletes one owned object (``.../{id}``)."""
        return None if self.collection is None else self.collection + "/{id}"

    @property
    def read_by_list(self) -> bool:
        """The API has no GET of one object: proof reads it back from the collection's list."""
        return self.item is not None and _model().operation("get", self.item) is None

    @property
    def item_operations(self) -> dict[str, str]:
        """method (lower case) -> operationId of the operations on the item path."""
        return {op.method.lower(): op.operation_id for op in _model().operations() if self.item and op.path == self.item}

    @property
    def create_operation(self) -> str | None:
        return None if self.collection is None else _model().operation("post", self.collection).operation_id

    @property
    def delete_operation(self) -> str | None:
        return None if self.item is None else _model().operation("delete", self.item).operation_id


@lru_cache(maxsize=1)
def all_resources() -> tuple[Resource, ...]:
    """The spec's tags, in its order, with their x-fc-capability and x-fc-kind."""
    return tuple(Resource(t["name"], t.get("x-fc-capability"), t.get("x-fc-kind")) for t in _spec().get("tags") or [])


# The core profile: MUST tests of these resources; auth, streaming, errors and limits are the suites'
# cross-cutting resources (marker names without a spec tag).
CORE_RESOURCES = ("ping", "auth", "chatflows", "prediction", "streaming", "chatmessage", "errors", "limits")
# Capabilities of parts of a resource (an operation's x-fc-capability, requires markers), not of a whole one.
FEATURE_CAPABILITIES = ("streaming", "uploads", "document_store_loaders", "apikey", "rate_limit", "multipart_limit")
# Flowise's unauthenticated paths that the spec does not describe (its whitelist), kept public by the reference.
PUBLIC_OUTSIDE_SPEC = ("/api/v1/version", "/api/v1/verify/apikey/")


@lru_cache(maxsize=1)
def known_capabilities() -> frozenset[str]:
    """Every capability a target can declare: the resources' and FEATURE_CAPABILITIES."""
    return frozenset({r.capability for r in all_resources() if r.capability} | set(FEATURE_CAPABILITIES))


@lru_cache(maxsize=1)
def owned() -> dict[str, Resource]:
    """kind -> resource, for the resources whose objects the run creates and deletes."""
    return {r.kind: r for r in all_resources() if r.kind and r.item}


def tag_capability() -> dict[str, str]:
    """Spec tag -> the capability the whole resource depends on."""
    return {r.name: r.capability for r in all_resources() if r.capability}


@lru_cache(maxsize=1)
def public_prefixes() -> tuple[str, ...]:
    """The paths a request reaches without an API key: each public operation's path up to its first
    parameter (a path without parameters only exactly), plus PUBLIC_OUTSIDE_SPEC."""
    found = [op.path.split("{", 1)[0] if "{" in op.path else op.path for op in _model().operations() if op.public]
    return tuple(dict.fromkeys([*found, *PUBLIC_OUTSIDE_SPEC]))


def is_public(path: str) -> bool:
    """Whether a request path needs no API key (a prefix ending in '/' matches what follows it)."""
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in public_prefixes())


def _spec() -> dict[str, Any]:
    from flowise_conformance.spec import load_spec

    return load_spec()


def _model() -> Any:
    from flowise_conformance import spec_model

    return spec_model
