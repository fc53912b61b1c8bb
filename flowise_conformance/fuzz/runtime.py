"""The fuzz suite's per-process state and the schemathesis hooks that use it.

``Runtime`` is bound once per process by the fuzz suite's session fixture (the target, an
authenticated client, the tracker, the run's name maker). A scope (``begin``/``end``) is one
fuzz item or one stateful scenario: the objects its pins need and the objects its fuzzed
creates made are deleted when it ends.

Before every call (``before_call``, a schema hook, so it also runs for the examples and
coverage phases, for the stateful machine, and for the re-sent requests of checks):
  1. pins: ids are pointed at owned objects (pins.py);
  2. shaping: values a schema cannot describe are made consistent (a pinned feedback's chatId;
     the loader and splitter names of a document-store preview, for valid cases only; in the
     stateful conversations, a created chatflow is one that can answer without an LLM);
  3. names: a non-empty generated ``name`` of a create or update (``named_writes()``) is prefixed with the run's tag;
  4. safety: assistants are only ever sent as type CUSTOM (any other type makes real Flowise
     call the OpenAI API), and every foreign uuid in the path or body becomes a stand-in.
After every call (``after_call``): an object a fuzzed create made is journaled at once with
the tracker (and owned, and deleted when the scope ends); a prediction's message and a
feedback become owned, so later links may use them.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import requests

from flowise_conformance.client import FlowiseClient, requests_exchange
from flowise_conformance.config import Target
from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.fuzz import pins as pins_mod
from flowise_conformance.fuzz.guard import Ownership
from flowise_conformance.spec_model import by_label
from flowise_conformance.resources import owned
from flowise_conformance.tracker import Tracker

ASSISTANT_WRITES = {"createAssistant", "updateAssistant"}
PLAIN_TEXT_LOADER = "plainText"
CHARACTER_SPLITTER = "characterTextSplitter"


def new_session(target: Target) -> requests.Session:
    """One keep-alive connection pool for the process's fuzz calls; no cookies, no proxies from the env;
    bodies read within the target's deadline and the size cap, no redirects (fuzz/bounded.py)."""
    from flowise_conformance.fuzz.bounded import BoundedSession

    session = BoundedSession(target.base_url or "", target.timeouts.request)
    session.trust_env = False
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # never send one back
    return session


@dataclass
class Runtime:
    target: Target
    api: FlowiseClient
    tracker: Tracker
    new_name: Callable[[str], str]
    name_prefix: str  # fc-<run tag>-<worker>-fz-
    ownership: Ownership = field(default_factory=Ownership)
    factory: pins_mod.Factory | None = None
    pinner: pins_mod.Pinner | None = None
    log: list[str] = field(default_factory=list)  # what the hooks changed, for failure reports
    session: requests.Session = field(init=False)
    # a scope whose created chatflows must answer predictions (the stateful conversations): their
    # flowData and type are the LLM-free Start -> Direct Reply agentflow, as a fixture's would be
    runnable_chatflows: bool = False
    # messages this process's predictions stored: chatMessageId -> {chatId, chatflowid}
    messages: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.session = new_session(self.target)

    def call_kwargs(self) -> dict[str, Any]:
        """Where and how schemathesis sends: the target's origin, its timeouts, the shared session."""
        timeouts = self.target.timeouts
        return {"base_url": self.target.base_url, "timeout": (timeouts.connect, timeouts.request),
                "session": self.session}

    def begin(self, operation_id: str | None = None, *, runnable_chatflows: bool = False) -> None:
        self.factory = pins_mod.Factory(self.api, self.tracker, self.new_name, self.ownership)
        self.pinner = pins_mod.Pinner(operation_id, self.factory) if operation_id else None
        self.runnable_chatflows = runnable_chatflows
        self.log.clear()

    def end(self) -> list[str]:
        problems = self.factory.cleanup() if self.factory else []
        self.factory = None
        self.pinner = None
        return problems


TRANSCRIPT_KEPT = 50
_lock = threading.Lock()
_runtime: Runtime | None = None


def bind(runtime: Runtime | None) -> None:
    global _runtime
    with _lock:
        _runtime = runtime


def current() -> Runtime | None:
    return _runtime


_configured_key: str | None = None


def configure_key(key: str | None) -> None:
    """The target's key, known from the configuration before any fixture runs.

    schemathesis builds the examples and coverage cases while it collects the items and applies
    the auth provider to them then: without the key at that point, those requests would all be
    sent without one (and answered 401).
    """
    global _configured_key
    _configured_key = key


def api_key() -> str | None:
    return _runtime.target.api_key if _runtime is not None else _configured_key


# ---------------------------------------------------------------- before the call


def _operation_id(case: Any) -> str | None:
    op = by_label().get(case.operation.label)
    return op.operation_id if op else None


def _container(case: Any, location: str) -> Any:
    if location == "path":
        if case.path_parameters is None:
            case.path_parameters = {}
        return case.path_parameters
    if location == "body":
        return case.body if isinstance(case.body, dict) else None
    return None


def _apply_pins(rt: Runtime, case: Any, op_id: str) -> None:
    pinner = rt.pinner
    if op_id == "createFeedback":
        _align_feedback(rt, case)
    if pinner is None or pinner.operation_id != op_id:
        return
    if op_id == "createFeedback":
        _pin_feedback(rt, case, pinner)
        return
    for where, pin in pinner.plan.items():
        location, _, name = where.partition(".")
        container = _container(case, location)
        if container is None or (location == "body" and name not in container):
            continue
        value = container.get(name)
        if isinstance(value, str) and rt.ownership.owns(value) and not pin.fresh:
            continue  # pinned when this case object was sent before
        if pins_mod.pinned(value, where):
            container[name] = pinner.value(pin)


def _pin_feedback(rt: Runtime, case: Any, pinner: pins_mod.Pinner) -> None:
    """The rated message, the chatflow in the path and the ids in the body must agree, or neither is pinned."""
    body = case.body if isinstance(case.body, dict) else None
    if body is None or not isinstance(body.get("messageId"), str):
        return
    # a case object can be sent twice (explicit examples): one pinned before stays pinned
    if not rt.ownership.owns(body["messageId"]) and not pins_mod.pinned(body["messageId"], "body.messageId"):
        return
    plan = pinner.plan
    body["messageId"] = pinner.value(plan["body.messageId"])
    message = pinner.object_for(plan["body.messageId"])
    case.path_parameters = {**(case.path_parameters or {}), "id": message["chatflowid"]}
    if isinstance(body.get("chatId"), str):
        body["chatId"] = message["chatId"]
    if isinstance(body.get("chatflowid"), str):
        body["chatflowid"] = message["chatflowid"]


def _align_feedback(rt: Runtime, case: Any) -> None:
    """A rating of a message a prediction of this run stored (a stateful link) names its chat and chatflow."""
    body = case.body if isinstance(case.body, dict) else None
    message = rt.messages.get(body.get("messageId")) if body is not None and isinstance(body.get("messageId"), str) else None
    if message is None:
        return
    case.path_parameters = {**(case.path_parameters or {}), "id": message["chatflowid"]}
    for key in ("chatId", "chatflowid"):
        if isinstance(body.get(key), str):
            body[key] = message[key]


def _is_positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return getattr(mode, "value", str(mode)) == "positive"


def _shape_preview(case: Any) -> None:
    """A valid preview names a loader and splitter the server has, with inputs those components accept.

    Which names and inputs are valid is the server's component catalog, not the schema; so for
    schema-valid cases the names are pinned like ids (plainText, characterTextSplitter) and the
    component inputs made acceptable. Invalid cases are sent as generated.
    """
    body = case.body
    if not isinstance(body, dict) or not _is_positive(case):
        return
    body["loaderId"] = PLAIN_TEXT_LOADER
    config = body.get("loaderConfig")
    if isinstance(config, dict) and not isinstance(config.get("text"), str):
        config["text"] = "fuzz text\n\nsecond paragraph"
    if "splitterId" in body:
        body["splitterId"] = CHARACTER_SPLITTER
    splitter = body.get("splitterConfig")
    if isinstance(splitter, dict):
        splitter.clear()
        splitter.update({"chunkSize": 20, "chunkOverlap": 0, "separator": "\n\n"})



@lru_cache(maxsize=1)
def _delete_operations() -> frozenset[str]:
    """The owned kinds' item DELETEs (after_call runs on every fuzzed request: derived once)."""
    return frozenset(r.delete_operation for r in owned().values() if r.delete_operation)


@lru_cache(maxsize=1)
def _created_kind() -> dict[str, str]:
    """create operationId -> the kind it makes."""
    return {r.create_operation: k for k, r in owned().items() if r.create_operation}


@lru_cache(maxsize=1)
def named_writes() -> frozenset[str]:
    """The creates and item updates of owned resources whose JSON body has a ``name``: the run's prefix goes
    there, so that proof (proof.py) finds the objects they make the run's and cleanup deletes them."""
    from flowise_conformance.spec_model import by_id

    writes = [op_id for r in owned().values() for op_id in (r.create_operation, r.item_operations.get("put")) if op_id]
    return frozenset(op_id for op_id in writes
                     if "name" in (by_id()[op_id].request_body.get("application/json") or {}).get("properties", {}))


def _empty_name_valid(op_id: str) -> bool:
    """An empty name is a valid value (no minLength), so it is tagged too: else the object it names
    could not be proved the run's."""
    from flowise_conformance.spec_model import by_id

    schema = (by_id()[op_id].request_body.get("application/json") or {}).get("properties", {}).get("name") or {}
    return not schema.get("minLength")


def _tag_names(rt: Runtime, case: Any, op_id: str) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    if op_id in named_writes() and isinstance(body.get("name"), str) and (body["name"] or _empty_name_valid(op_id)):
        if not body["name"].startswith(rt.name_prefix):
            body["name"] = rt.name_prefix + body["name"]
    if op_id in ASSISTANT_WRITES and isinstance(body.get("details"), str):
        try:
            details = json.loads(body["details"])
        except ValueError:
            return
        if isinstance(details, dict) and isinstance(details.get("name"), str) and details["name"]:
            if not details["name"].startswith(rt.name_prefix):
                details["name"] = rt.name_prefix + details["name"]
                body["details"] = json.dumps(details, ensure_ascii=False)


def _only_custom_assistants(case: Any, op_id: str) -> None:
    """Never send an assistant write that real Flowise would turn into an OpenAI API call."""
    if op_id not in ASSISTANT_WRITES:
        return
    if not isinstance(case.body, dict):
        case.body = {"type": "CUSTOM"}
        return
    if op_id == "createAssistant" or "type" in case.body:
        case.body["type"] = "CUSTOM"


def _keep_generated(case: Any, before: dict[str, Any], names: list[str]) -> None:
    """A generated path value replaced by its stand-in still counts as generated, not as a link's.

    schemathesis tells link-supplied values from generated ones by diffing against the values it
    generated; a stand-in would otherwise look like a link's value, and ensure_resource_availability
    would take the stand-in's 404 for "a created resource is not found".
    """
    try:
        from schemathesis.core.parameters import ParameterLocation

        stored = case._components[ParameterLocation.PATH]
    except (AttributeError, KeyError, ImportError):
        return
    if not stored.is_generated or not isinstance(stored.value, dict):
        return
    for name in names:
        if stored.value.get(name) == before.get(name):
            stored.value[name] = case.path_parameters[name]


def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    rt = _runtime
    op_id = _operation_id(case)
    if rt is not None and op_id is not None:
        _apply_pins(rt, case, op_id)
        if op_id == "createChatflow" and rt.runnable_chatflows and isinstance(case.body, dict):
            case.body.update({"flowData": direct_reply_agentflow(), "type": "AGENTFLOW"})
        if op_id == "previewDocumentChunks":
            _shape_preview(case)
        _tag_names(rt, case, op_id)
    if op_id is not None:
        _only_custom_assistants(case, op_id)
    ownership = rt.ownership if rt is not None else Ownership()
    before = dict(case.path_parameters or {})
    replaced_path = ownership.sanitize_path(case.path_parameters)
    _keep_generated(case, before, replaced_path)
    replaced = replaced_path + ownership.sanitize_body(case.body)
    if replaced and rt is not None:
        rt.log.append(f"{case.operation.label}: stand-in ids for {', '.join(replaced)}")


# ---------------------------------------------------------------- after the call


def _json(response: Any) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


def after_call(context: Any, case: Any, response: Any) -> None:
    from flowise_conformance.plugins import coverage

    coverage.record("fuzz", case.method, case.formatted_path, response.status_code)
    rt = _runtime
    if rt is not None and rt.api is not None:  # in the transcript, so a failure's last exchange is the request that failed
        rt.api.transcript.append(requests_exchange(response.request, response.status_code, response.headers,
                                                   response.content, response.elapsed))
        del rt.api.transcript[:-TRANSCRIPT_KEPT]  # a fuzz item sends thousands of requests; reports show the last few
    if rt is None or not 200 <= response.status_code < 300:
        return
    op_id = _operation_id(case)
    if op_id in _delete_operations() and rt.factory is not None:
        obj_id = (case.path_parameters or {}).get("id")
        if isinstance(obj_id, str) and rt.ownership.owns(obj_id):
            rt.factory.deleted.add(obj_id)
    body = _json(response)
    if not isinstance(body, dict):
        return
    kind = _created_kind().get(op_id)  # what a create makes
    if kind and isinstance(body.get("id"), str):
        name = body.get("name") if isinstance(body.get("name"), str) else None
        # journaled before anything else happens (schemathesis reads answers as streams, which the
        # transport guard of plugins/safety/ does not journal, so this is the only record)
        rt.tracker.track(kind, body["id"], name)
        rt.ownership.own(body["id"])
        if rt.factory is not None:
            rt.factory.made.append((kind, body["id"]))
    elif op_id == "createPrediction":
        rt.ownership.own(body.get("chatMessageId"), body.get("chatId"))
        flow_id = (case.path_parameters or {}).get("id")
        if isinstance(body.get("chatMessageId"), str) and isinstance(body.get("chatId"), str) and isinstance(flow_id, str):
            rt.messages[body["chatMessageId"]] = {"chatId": body["chatId"], "chatflowid": flow_id}
    elif op_id == "createFeedback":
        rt.ownership.own(body.get("id"))


def name_prefix(run_tag: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    return f"fc-{run_tag}-{worker}-fz-"
