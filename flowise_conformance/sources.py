"""Where each requirement comes from: the ``source`` marker of a suite test, read and checked.

A requirement is only as trustworthy as its source (spec/README.md, "Where requirements come
from"). Every suite test says which one with ``@pytest.mark.source(kind, docs=..., flowise=...,
why=...)``:

- ``"docs+flowise"``: Flowise's API reference (or its API introduction) states it and Flowise
  does it. ``docs=`` and ``flowise=``.
- ``"docs"``: the docs state it and Flowise breaks it in a way that is a defect by the docs' own
  rules; the check stays and Flowise's deviation is listed. ``docs=`` and ``flowise=`` (what
  Flowise does instead).
- ``"flowise"``: the docs are silent or give only a type; Flowise's behaviour is the contract.
  ``flowise=``.
- ``"none"``: neither says it. Only at level MAY, with ``why=`` (the rationale).

``docs=`` begins with what a reader looks up: an operation of the API reference
(``"POST /chatflows: ..."``), one of its schemas (``"schema Chatflow: ..."``) or
``"introduction: ..."`` (its sentence). ``flowise=`` begins with a Flowise source file
(``"packages/server/src/...: ..."``) or ``"observed 3.1.4: ..."``.
The API reference's operations and schemas below are facts of Flowise's docs (its swagger.yml,
rendered at docs.flowiseai.com/api-reference), kept here so that a reference can be checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

KINDS = ("docs+flowise", "docs", "flowise", "none")
NEEDS_DOCS = ("docs+flowise", "docs")
NEEDS_FLOWISE = ("docs+flowise", "docs", "flowise")

DOCS_SITE = "https://docs.flowiseai.com/api-reference/"
INTRODUCTION = "https://docs.flowiseai.com/api-reference"
FLOWISE_SOURCE = "https://github.com/FlowiseAI/Flowise/blob/main/"

# The API reference's operations: (method, path) -> its page under DOCS_SITE.
REFERENCE_OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/chatmessage/{id}"): "chat-message", ("DELETE", "/chatmessage/{id}"): "chat-message",
    ("POST", "/assistants"): "assistants", ("GET", "/assistants"): "assistants",
    ("GET", "/assistants/{id}"): "assistants", ("PUT", "/assistants/{id}"): "assistants",
    ("DELETE", "/assistants/{id}"): "assistants",
    ("POST", "/attachments/{chatflowId}/{chatId}"): "attachments",
    ("POST", "/chatflows"): "chatflows", ("GET", "/chatflows"): "chatflows",
    ("GET", "/chatflows/{id}"): "chatflows", ("PUT", "/chatflows/{id}"): "chatflows",
    ("DELETE", "/chatflows/{id}"): "chatflows", ("GET", "/chatflows/apikey/{apikey}"): "chatflows",
    ("POST", "/document-store/store"): "document-store", ("GET", "/document-store/store"): "document-store",
    ("GET", "/document-store/store/{id}"): "document-store", ("PUT", "/document-store/store/{id}"): "document-store",
    ("DELETE", "/document-store/store/{id}"): "document-store",
    ("POST", "/document-store/upsert/{id}"): "document-store", ("POST", "/document-store/refresh/{id}"): "document-store",
    ("POST", "/document-store/vectorstore/query"): "document-store",
    ("DELETE", "/document-store/loader/{storeId}/{loaderId}"): "document-store",
    ("DELETE", "/document-store/vectorstore/{id}"): "document-store",
    ("GET", "/document-store/chunks/{storeId}/{loaderId}/{pageNo}"): "document-store",
    ("PUT", "/document-store/chunks/{storeId}/{loaderId}/{chunkId}"): "document-store",
    ("DELETE", "/document-store/chunks/{storeId}/{loaderId}/{chunkId}"): "document-store",
    ("POST", "/feedback"): "feedback", ("GET", "/feedback/{id}"): "feedback", ("PUT", "/feedback/{id}"): "feedback",
    ("POST", "/leads"): "leads", ("GET", "/leads/{id}"): "leads",
    ("GET", "/ping"): "ping",
    ("POST", "/prediction/{id}"): "prediction",
    ("POST", "/tools"): "tools", ("GET", "/tools"): "tools", ("GET", "/tools/{id}"): "tools",
    ("PUT", "/tools/{id}"): "tools", ("DELETE", "/tools/{id}"): "tools",
    ("GET", "/upsert-history/{id}"): "upsert-history", ("PATCH", "/upsert-history/{id}"): "upsert-history",
    ("POST", "/variables"): "variables", ("GET", "/variables"): "variables",
    ("PUT", "/variables/{id}"): "variables", ("DELETE", "/variables/{id}"): "variables",
    ("POST", "/vector/upsert/{id}"): "vector-upsert",
}

# The API reference's component schemas.
REFERENCE_SCHEMAS = frozenset({
    "Action", "AgentReasoning", "ApiKey", "Assistant", "ChatMessage", "ChatMessageFeedback", "Chatflow",
    "CreateAttachmentResponse", "Credential", "Document", "DocumentStore", "DocumentStoreFileChunk",
    "DocumentStoreFileChunkPagedResponse", "DocumentStoreLoaderFile", "DocumentStoreLoaderForPreview",
    "DocumentStoreLoaderForRefresh", "DocumentStoreLoaderForUpsert", "FileAnnotation", "FileUpload", "Lead",
    "Prediction", "Tool", "UpsertHistoryResponse", "UsedTool", "Variable", "VectorUpsertResponse",
})
SCHEMA_PAGES = {"Assistant": "assistants", "ChatMessage": "chat-message", "ChatMessageFeedback": "feedback",
                "Chatflow": "chatflows", "Lead": "leads", "Prediction": "prediction", "Tool": "tools",
                "Variable": "variables", "UpsertHistoryResponse": "upsert-history",
                "VectorUpsertResponse": "vector-upsert", "CreateAttachmentResponse": "attachments"}

_OPERATION = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S*)")
_SCHEMA = re.compile(r"^schema (\w+)")
_FLOWISE = re.compile(r"^(packages/\S+|observed 3\.1\.4)")


@dataclass(frozen=True)
class Source:
    """One test's source: its kind and the references a reader can follow."""

    kind: str
    docs: str | None = None
    flowise: str | None = None
    why: str | None = None

    def text(self) -> str:
        """One line for terminals, junit properties and reports."""
        parts = [self.kind]
        parts += [f"docs: {self.docs}"] if self.docs else []
        parts += [f"flowise: {self.flowise}"] if self.flowise else []
        parts += [f"why: {self.why}"] if self.why else []
        return " | ".join(parts)

    def links(self) -> dict[str, str]:
        """Where to read each reference (a URL per part that has one)."""
        found: dict[str, str] = {}
        if self.docs:
            found["docs"] = docs_url(self.docs)
        if self.flowise and self.flowise.startswith("packages/"):
            found["flowise"] = FLOWISE_SOURCE + self.flowise.split(":", 1)[0].split()[0]
        return found

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name in ("docs", "flowise", "why"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        links = self.links()
        if links:
            data["links"] = links
        return data


def _follow(docs: str) -> tuple[str, str | None]:
    """The API reference page a ``docs=`` reference names, and why it cannot be followed (None if it can)."""
    if docs.startswith("introduction"):
        return INTRODUCTION, None if docs.startswith("introduction:") else _DOCS_FORM
    operation = _OPERATION.match(docs)
    if operation:
        key = (operation.group(1), operation.group(2).rstrip(":"))
        page = REFERENCE_OPERATIONS.get(key)
        if page is None:
            return INTRODUCTION, f"{key[0]} {key[1]} is not an operation of Flowise's API reference"
        return DOCS_SITE + page, None
    schema = _SCHEMA.match(docs)
    if schema:
        name = schema.group(1)
        url = DOCS_SITE + SCHEMA_PAGES[name] if name in SCHEMA_PAGES else INTRODUCTION
        return url, None if name in REFERENCE_SCHEMAS else f"schema {name} is not in the API reference"
    return INTRODUCTION, _DOCS_FORM


_DOCS_FORM = "docs= must begin with '<METHOD> /<path>', 'schema <Name>' or 'introduction:'"


def docs_url(docs: str) -> str:
    """The page of the API reference a ``docs=`` reference names."""
    return _follow(docs)[0]


def docs_problem(docs: str) -> str | None:
    """Why a ``docs=`` reference cannot be followed, or None."""
    return _follow(docs)[1]


def parse(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Source:
    """A ``source`` marker's arguments as a Source; ValueError says what is wrong."""
    if len(args) != 1 or args[0] not in KINDS:
        raise ValueError(f"the first argument is the kind, one of {', '.join(KINDS)}")
    unknown = set(kwargs) - {"docs", "flowise", "why"}
    if unknown:
        raise ValueError(f"unknown keyword(s) {', '.join(sorted(unknown))} (docs=, flowise=, why=)")
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in kwargs.items()}
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name}= must be a non-empty string")
    source = Source(args[0], values.get("docs"), values.get("flowise"), values.get("why"))
    if source.kind in NEEDS_DOCS and not source.docs:
        raise ValueError(f"kind {source.kind!r} needs docs= (the API reference's operation, schema or the introduction)")
    if source.kind in NEEDS_FLOWISE and not source.flowise:
        raise ValueError(f"kind {source.kind!r} needs flowise= (a Flowise source file or 'observed 3.1.4: ...')")
    if source.kind == "flowise" and source.docs:
        raise ValueError("kind 'flowise' means the docs are silent: drop docs= or use 'docs+flowise'/'docs'")
    if source.kind == "none" and not source.why:
        raise ValueError("kind 'none' needs why= (the rationale for a MAY that neither source makes)")
    if source.kind != "none" and source.why and not (source.docs or source.flowise):
        raise ValueError("why= alone is kind 'none'")
    if source.docs:
        problem = docs_problem(source.docs)
        if problem:
            raise ValueError(problem)
    if source.flowise and not _FLOWISE.match(source.flowise):
        raise ValueError("flowise= must begin with a Flowise source file ('packages/...') or 'observed 3.1.4'")
    return source


def level_problem(source: Source, level: str) -> str | None:
    """A requirement neither source makes is not a MUST or SHOULD."""
    if source.kind == "none" and level != "MAY":
        return f"source 'none' (neither the docs nor Flowise make it) cannot be {level}: make it MAY or remove it"
    return None
