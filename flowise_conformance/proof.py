"""Proof that an object is this run's: read it back and find the run's name in what the server says.

An id the run journaled is not proof enough: a server can answer a create with another object's
id (an upsert, a wrong row), hide objects from its lists, or answer a DELETE with 2xx and delete
nothing. So before any PUT or DELETE of an object of a kind the run owns (by the run's guard,
its tracker, the end-of-run sweep and ``flowise-conformance cleanup`` alike), the object is read
back: GET of the item, else (no such GET, or an answer that is neither 2xx nor 404, as Flowise
gives for some unknown ids) its collection's list. It is the run's only when what the server
answers carries the run's unique name (``fc-<tag>-`` or, for identifier names, ``fc_<tag>_``).
After a DELETE, the same read-back confirms the object is gone.

A proof holds until the object is gone: given the run's journal, a read-back that shows the run's
name is journaled (``proven``), and a later read-back of the same id that shows another name (the
run's own update renamed it: Flowise stores a fuzzed ``""``, ``12345`` or ``{}`` as that name) still
says it is the run's. A read-back that finds it absent (a 404 of the item: a list may hide it), or its deletion, ends the proof: an id the
server reuses for someone else's object is not the run's.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flowise_conformance.client import FlowiseClient, json_or_none

OURS, ABSENT, OTHER, UNKNOWN = "ours", "absent", "other", "unknown"


@dataclass(frozen=True)
class Reading:
    state: str  # OURS | ABSENT | OTHER | UNKNOWN
    how: str  # "item" (GET of the item), "list" (its collection's list), "id" (not readable: an unusable id)
    name: str | None = None  # the name the server gives the object
    detail: str = ""


def run_marks(tag: str) -> tuple[str, str]:
    """The name prefixes of one run's objects."""
    return f"fc-{tag}-", f"fc_{tag}_"


def shown_name(obj: dict[str, Any]) -> str | None:
    """The object's name as the server shows it (an assistant's is inside its ``details`` JSON)."""
    if isinstance(obj.get("name"), str):
        return obj["name"]
    details = obj.get("details")
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            return None
    return details.get("name") if isinstance(details, dict) and isinstance(details.get("name"), str) else None


def listed(response: Any) -> list[dict[str, Any]] | None:
    """The objects of a list answer (a JSON array, or ``{"data": [...]}``); None when it is not one."""
    if response.status_code != 200:
        return None
    data = json_or_none(response)
    if isinstance(data, dict):
        data = data.get("data")
    return [o for o in data if isinstance(o, dict)] if isinstance(data, list) else None


class Prover:
    """Reads objects back through one client and says whose they are."""

    def __init__(self, client: FlowiseClient, tag: str, journal: Any = None) -> None:
        self.client = client
        self.marks = run_marks(tag)
        self.journal = journal  # run.Journal: proofs are kept there, for every process of the run and cleanup
        self._journaled: set[tuple[str, str]] = set()  # proofs this process already wrote
        self._proven: tuple[int, set[tuple[str, str]]] = (-1, set())  # (journal size, its proven ids)

    def _proven_ids(self) -> set[tuple[str, str]]:
        """The journal's proven ids, read again only when the (append-only) journal has grown: a sweep
        confirms hundreds of deletes, and each would otherwise parse the whole journal."""
        path = self.journal.path
        size = path.stat().st_size if path.exists() else 0
        if size != self._proven[0]:
            self._proven = (size, self.journal.proven_ids())
        return self._proven[1]

    def read(self, kind: str, obj_id: str) -> Reading:
        """What the server says about one object, with the run's earlier proofs (never raises for trouble
        with the target)."""
        reading = self._read_now(kind, obj_id)
        if self.journal is None:
            return reading
        key = (kind, obj_id)
        if reading.state == OURS and key not in self._journaled:
            self.journal.proven(kind, obj_id)
            self._journaled.add(key)
        elif reading.state == ABSENT and reading.how == "item" and (key in self._journaled or key in self._proven_ids()):
            self.journal.gone(kind, obj_id)
            self._journaled.discard(key)
        elif reading.state == OTHER and key in self._proven_ids():
            return Reading(OURS, reading.how, reading.name,
                           f"shown as {reading.name!r}, proven this run's by an earlier read-back")
        return reading

    def classify(self, obj: dict[str, Any], how: str) -> Reading:
        name = shown_name(obj)
        text = json.dumps(obj, ensure_ascii=False)
        if any(mark in text for mark in self.marks):
            return Reading(OURS, how, name)
        return Reading(OTHER, how, name, f"the server shows it as {name!r}, which is not a name of this run")

    def _read_now(self, kind: str, obj_id: str) -> Reading:
        """What the server says about one object now."""
        from flowise_conformance.ids import UnsafeId
        from flowise_conformance.resources import owned
        from flowise_conformance.tracker import delete_path

        resource = owned().get(kind)
        if resource is None:
            return Reading(UNKNOWN, "id", None, f"the run has no way to read a {kind} back")
        try:
            path = delete_path(kind, obj_id)
        except UnsafeId:
            return Reading(UNKNOWN, "id", None, f"the id {obj_id!r:.80} cannot go into a URL")
        if not resource.read_by_list:  # the API has no GET of one variable
            try:
                response = self.client.get(path)
            except Exception as exc:  # noqa: BLE001 - a refusal, a timeout: nothing is proven
                return Reading(UNKNOWN, "item", None, f"GET {path}: {exc}")
            if response.status_code == 404:
                return Reading(ABSENT, "item")
            body = json_or_none(response) if response.status_code == 200 else None
            if isinstance(body, dict):
                if body.get("id") not in (None, obj_id):
                    return Reading(UNKNOWN, "item", None, f"GET {path} answered another object ({body.get('id')!r:.80})")
                return self.classify(body, "item")
        return self.read_from_list(resource.collection, obj_id)

    def read_from_list(self, collection: str, obj_id: str) -> Reading:
        try:
            objects = listed(self.client.get(collection))
        except Exception as exc:  # noqa: BLE001
            return Reading(UNKNOWN, "list", None, f"GET {collection}: {exc}")
        if objects is None:
            return Reading(UNKNOWN, "list", None, f"GET {collection} did not answer a list")
        for obj in objects:
            if obj.get("id") == obj_id:
                return self.classify(obj, "list")
        return Reading(ABSENT, "list")


def written_object(method: str, api_path: str) -> tuple[str, str] | None:
    """(kind, id) of the owned object a PUT, PATCH or DELETE of this path changes, if any.

    An item of an owned resource (``resources.owned()``), or the chatflow whose messages ``DELETE /chatmessage/{id}``
    deletes.
    """
    from urllib.parse import unquote

    from flowise_conformance.tracker import deleted_object

    if method.upper() not in ("PUT", "PATCH", "DELETE"):
        return None
    rest = api_path[len("/api/v1/chatmessage/"):]
    if method.upper() == "DELETE" and api_path.startswith("/api/v1/chatmessage/") and rest and "/" not in rest:
        return "chatflow", unquote(rest)
    return deleted_object(api_path)


def write_operations() -> list[tuple[str, "re.Pattern[str]"]]:
    """(method, path pattern) of every state-changing operation of the spec; a parameter is one segment."""
    from flowise_conformance.spec_model import operations

    out = []
    for op in operations():
        if op.mutating:
            out.append((op.method, re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(op.path)) + "$")))
    return out
