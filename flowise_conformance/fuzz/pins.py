"""Pinning: which of this run's own objects a fuzzed request's ids point at.

A generated path id almost never names an existing object, so every request would end in
404 and the server's real logic (200 bodies, updates, deletes) would go untested. For each
operation ``plan()`` names the kind of object each id parameter refers to; before a call, most
generated ids are replaced by the id of such an object that this run created (``Pinner``),
the others are left as generated (a foreign-looking uuid becomes a stand-in, see guard.py),
so both the found and the not-found paths are exercised. Which one a case gets is decided
from the generated value itself (a CRC), so the same seed pins the same cases.

Objects are made on first use by ``Factory`` (run-scoped names, journaled with the tracker at
once) and belong to one fuzz item: a PUT item's chatflow is not the one a prediction item uses.
DELETE operations get a *fresh* object per call, so that each delete has something to delete.
"""
from __future__ import annotations

import json
import uuid
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable

from flowise_conformance.client import FlowiseClient, json_or_none
from flowise_conformance.errors import HarnessError
from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.fuzz.guard import Ownership
from flowise_conformance.ids import item_path
from flowise_conformance.resources import owned
from flowise_conformance.tracker import Tracker, delete_path

PIN_SHARE = 4  # of every 4 cases, 3 are pinned to an owned object and 1 keeps its generated id

# chatbotConfig of a chatflow that accepts attachments (the same as the attachments suite uses)
UPLOADS_ON = json.dumps({"fullFileUpload": {"status": True, "allowedUploadFileTypes": "text/plain,application/json"}})


@dataclass(frozen=True)
class Pin:
    kind: str  # an object kind of Factory.make, or an attribute of one: "message.chatflowid"
    fresh: bool = False  # a new object for every call (DELETE)


# operationId -> {parameter location.name -> Pin}, beyond the item operations of owned resources (plan())
OTHER_PINS: dict[str, dict[str, Pin]] = {
    "getChatflowStreaming": {"path.id": Pin("chatflow")},
    "getChatflowUploads": {"path.id": Pin("chatflow")},
    "createPrediction": {"path.id": Pin("chatflow")},
    "listChatMessages": {"path.id": Pin("message.chatflowid")},
    "deleteChatMessages": {"path.id": Pin("message.chatflowid")},
    "createFeedback": {"path.id": Pin("message.chatflowid"), "body.messageId": Pin("message.chatMessageId")},
    "listFeedback": {"path.id": Pin("feedback.chatflowid")},
    "updateFeedback": {"path.id": Pin("feedback")},
    "createAttachments": {"path.chatflowId": Pin("upload_chatflow")},
    "listDocumentStoreChunks": {"path.storeId": Pin("document_store")},
    "previewDocumentChunks": {"body.storeId": Pin("document_store")},
    "upsertVector": {"path.id": Pin("vector_chatflow")},
}
# Deliberately not pinned: getChatflowsByApiKey (its parameter is an API key, not an object id).


@lru_cache(maxsize=1)
def plan() -> dict[str, dict[str, Pin]]:
    """operationId -> {parameter location.name -> Pin}: an owned resource's item operations (resources.py)
    pin their id to an object of its kind (a DELETE to a fresh one), plus OTHER_PINS."""
    items = {op_id: {"path.id": Pin(kind, fresh=method == "delete")}
             for kind, resource in owned().items() for method, op_id in resource.item_operations.items()}
    return {**items, **OTHER_PINS}

# flowData of a chatflow with a vector store: a Plain Text loader feeding an In-Memory Vector Store
# (Flowise's node names and categories). It needs no external service to be stored; an upsert
# through it needs an embeddings model, which a real Flowise must reach (the reference has none).
VECTOR_FLOW = json.dumps({
    "nodes": [
        {"id": "plainText_0", "type": "customNode", "position": {"x": 0, "y": 0},
         "data": {"id": "plainText_0", "label": "Plain Text", "name": "plainText", "type": "Document",
                  "category": "Document Loaders", "version": 2, "baseClasses": ["Document"],
                  "inputs": {"text": "flowise-conformance fuzz document", "metadata": ""},
                  "inputParams": [], "inputAnchors": [], "outputAnchors": [], "outputs": {}}},
        {"id": "memoryVectorStore_0", "type": "customNode", "position": {"x": 300, "y": 0},
         "data": {"id": "memoryVectorStore_0", "label": "In-Memory Vector Store", "name": "memoryVectorStore",
                  "type": "Memory", "category": "Vector Stores", "version": 1,
                  "baseClasses": ["Memory", "VectorStoreRetriever", "BaseRetriever"],
                  "inputs": {"document": ["{{plainText_0.data.instance}}"], "embeddings": "", "topK": ""},
                  "inputParams": [], "inputAnchors": [], "outputAnchors": [], "outputs": {}}},
    ],
    "edges": [{"id": "plainText_0-memoryVectorStore_0", "source": "plainText_0", "target": "memoryVectorStore_0",
               "sourceHandle": "plainText_0-output-plainText-Document",
               "targetHandle": "memoryVectorStore_0-input-document-Document", "type": "buttonedge"}],
})


def journal_created(tracker: Tracker, kind: str, obj_id: str, name: str | None, url: str) -> None:
    """Journal an object a create just made, and have the tracker delete it.

    For this client (httpx, non-streamed) the run's transport guard (plugins/safety/) journals
    every create answer as it is read; then the tracker only takes it over for deletion (one
    journal write, not two). Without the guard the tracker journals it here, before anything else.
    """
    try:
        from flowise_conformance.plugins.safety.guard import guard as active_guard

        guard = active_guard()
    except ImportError:  # pragma: no cover - the plugin ships with the package
        guard = None
    if guard is not None and guard.journal_to is not None and guard.created_kind("POST", url) == kind:
        tracker.live[(kind, obj_id)] = delete_path(kind, obj_id)
    else:
        tracker.track(kind, obj_id, name)


def create_body(kind: str, name: str) -> dict[str, Any]:
    """A valid create body of an owned kind, from its create operation's JSON request schema: every required
    property, ``name`` set to the run's ``name`` (proof.py finds it there), the others a value the schema
    itself gives (const, enum, default, examples) or the smallest of their type. Checked against the schema
    with jsonschema; a kind the rule cannot serve (no ``name``, a constraint it does not meet) raises
    HarnessError: give it a ``Factory`` method. Own code: a schema-driven generator (hypothesis) makes
    random bodies, and this needs one fixed, valid, named one."""
    import jsonschema

    from flowise_conformance.spec_model import by_id

    operation = by_id()[owned()[kind].create_operation]
    schema = _plain(operation.request_body.get("application/json") or {})
    if "name" not in (schema.get("properties") or {}):
        raise HarnessError(f"fuzz setup: the create schema of {kind!r} has no 'name' to prove an object the run's; "
                           f"write Factory.{kind}")
    body = {key: _smallest(prop) for key, prop in schema["properties"].items() if key in schema.get("required", ())}
    body["name"] = name
    try:
        jsonschema.validate(body, schema)
    except jsonschema.ValidationError as exc:
        raise HarnessError(f"fuzz setup: no valid create body of {kind!r} from its schema ({exc.message}); "
                           f"write Factory.{kind}") from None
    return body


def _plain(value: Any) -> Any:
    """The spec model's read-only mappings and tuples as dicts and lists (for jsonschema)."""
    if isinstance(value, (dict, MappingProxyType)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _smallest(schema: dict[str, Any]) -> Any:
    """A value the schema names (const, enum, default, examples), else the smallest of its type."""
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    for key in ("enum", "examples"):
        if schema.get(key):
            return schema[key][0]
    kind = schema.get("type")
    kind = next((t for t in kind if t != "null"), "null") if isinstance(kind, list) else kind
    return {"string": "f" * max(1, schema.get("minLength", 1)), "integer": schema.get("minimum", 0),
            "number": schema.get("minimum", 0), "boolean": False, "array": [], "object": {}, "null": None}.get(kind, "f")


def pinned(value: Any, name: str) -> bool:
    """Whether a case whose generated ``name`` is ``value`` gets an owned id (deterministic)."""
    raw = json.dumps(value, sort_keys=True, default=str).encode()
    return zlib.crc32(name.encode() + b"\0" + raw) % PIN_SHARE != 0


@dataclass
class Factory:
    """Makes the objects pins point at, through the target's API, journaled the moment they exist."""

    api: FlowiseClient
    tracker: Tracker
    new_name: Callable[[str], str]
    ownership: Ownership
    made: list[tuple[str, str]] = field(default_factory=list)  # (tracker kind, id), for cleanup
    deleted: set[str] = field(default_factory=set)  # ids a fuzzed DELETE was answered 2xx for

    def _create(self, kind: str, body: dict[str, Any], name: str) -> dict[str, Any]:
        path = owned()[kind].collection  # resources.py
        response = self.api.post(path, json=body)
        created = json_or_none(response)
        if response.is_success and isinstance(created, dict) and isinstance(created.get("id"), str):
            journal_created(self.tracker, kind, created["id"], name, str(response.request.url))
        if response.status_code != 200 or not isinstance(created, dict) or not isinstance(created.get("id"), str):
            raise HarnessError(f"fuzz setup: POST {path} answered {response.status_code}, not 200 with an id")
        self.ownership.own(created["id"])
        self.made.append((kind, created["id"]))
        return created

    # Hand-written makers, each where the spec's create schema is not enough (make() falls back to create_body()):
    def chatflow(self, **fields: Any) -> dict[str, Any]:
        """flowData is a flow graph in a string: only a working flow (no LLM) lets a prediction answer."""
        name = self.new_name("fuzz-chatflow")
        body = {"name": name, "flowData": direct_reply_agentflow(), "type": "AGENTFLOW"}
        body.update(fields)
        return self._create("chatflow", body, name)

    def upload_chatflow(self) -> dict[str, Any]:
        return self.chatflow(chatbotConfig=UPLOADS_ON)

    def vector_chatflow(self) -> dict[str, Any]:
        return self.chatflow(flowData=VECTOR_FLOW, type="CHATFLOW")

    def message(self) -> dict[str, Any]:
        """A prediction's answer on an owned chatflow: {chatflowid, chatId, chatMessageId, ...}."""
        flow = self.chatflow()
        response = self.api.post(item_path("prediction", flow["id"]), json={"question": "fuzz setup"})
        answer = json_or_none(response)
        if response.status_code != 200 or not isinstance(answer, dict) or not isinstance(answer.get("chatMessageId"), str):
            raise HarnessError(f"fuzz setup: a prediction on an owned chatflow answered {response.status_code}")
        self.ownership.own(answer["chatMessageId"], answer.get("chatId"))
        return {**answer, "chatflowid": flow["id"]}

    def feedback(self) -> dict[str, Any]:
        """Not an owned kind: a rating of an owned message, made through its chatflow's path."""
        message = self.message()
        response = self.api.post(item_path("feedback", message["chatflowid"]),
                                 json={"messageId": message["chatMessageId"], "rating": "THUMBS_UP"})
        created = json_or_none(response)
        if response.status_code != 200 or not isinstance(created, dict) or not isinstance(created.get("id"), str):
            raise HarnessError(f"fuzz setup: rating an owned message answered {response.status_code}")
        self.ownership.own(created["id"])
        return {**created, "chatflowid": message["chatflowid"]}

    def assistant(self) -> dict[str, Any]:
        """The name lives inside ``details``, a JSON text, where a schema-made body cannot put it."""
        name = self.new_name("fuzz-assistant")
        body = {"type": "CUSTOM", "credential": str(uuid.uuid4()),
                "details": json.dumps({"name": name, "description": "flowise-conformance fuzz", "instruction": "Be brief."})}
        return self._create("assistant", body, name)

    def tool(self) -> dict[str, Any]:
        """Flowise uses a tool's name as a function name: an identifier (fc_<tag>_), which the schema does not say."""
        name = self.new_name("fuzz-tool").replace("-", "_")
        body = {"name": name, "description": "flowise-conformance fuzz", "color": "linear-gradient(rgb(1,2,3), rgb(4,5,6))",
                "schema": "[]", "func": "return 1;"}
        return self._create("tool", body, name)

    def variable(self) -> dict[str, Any]:
        """Flowise reads a variable as ``$vars.<name>``: an identifier name (fc_<tag>_), which the schema does not say."""
        name = self.new_name("fuzz-var").replace("-", "_")
        return self._create("variable", {"name": name, "value": "fuzz", "type": "static"}, name)

    def make(self, kind: str) -> dict[str, Any]:
        """An object of ``kind``: its hand-written maker above, else one made from the spec (create_body)."""
        maker = getattr(self, kind, None)
        if not kind.startswith("_") and kind not in ("make", "cleanup") and callable(maker):
            return maker()
        if kind not in owned():
            raise HarnessError(f"fuzz setup: no factory for {kind!r}")
        name = self.new_name(f"fuzz-{kind.replace('_', '-')}")
        return self._create(kind, create_body(kind, name), name)

    def cleanup(self) -> list[str]:
        """Delete what the scope made; return what could not be deleted.

        ``Tracker.delete`` reads each object back first, so one a fuzzed DELETE removed is found
        gone without a second DELETE (Flowise 3.1.4 answers that one 500), and a fuzzed DELETE that
        answered 2xx but deleted nothing is not believed: the object is deleted, or reported.
        """
        problems: list[str] = []
        for kind, obj_id in reversed(self.made):
            problems += self.tracker.delete(kind, obj_id)
            self.ownership.disown(obj_id)
        self.made.clear()
        self.deleted.clear()
        return problems


class Pinner:
    """The pins of one fuzz item: objects made on first use and reused, except fresh ones."""

    def __init__(self, operation_id: str, factory: Factory) -> None:
        self.operation_id = operation_id
        self.plan = plan().get(operation_id, {})
        self.factory = factory
        self._objects: dict[str, dict[str, Any]] = {}

    def _object(self, kind: str, fresh: bool) -> dict[str, Any]:
        if fresh or kind not in self._objects:
            self._objects[kind] = self.factory.make(kind)
        return self._objects[kind]

    def value(self, pin: Pin) -> str:
        kind, _, attribute = pin.kind.partition(".")
        obj = self._object(kind, pin.fresh)
        value = obj.get(attribute or "id")
        if not isinstance(value, str):
            raise HarnessError(f"fuzz setup: the {kind} made for {self.operation_id} has no {attribute or 'id'}")
        return value

    def object_for(self, pin: Pin) -> dict[str, Any]:
        """The object behind ``pin`` as last made (after ``value``)."""
        return self._objects[pin.kind.partition(".")[0]]
