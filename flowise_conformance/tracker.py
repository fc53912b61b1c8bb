"""Owned-only cleanup: what a test creates is journaled at once and deleted afterwards.

Only journaled objects are ever deleted; a delete that answers 404 counts as gone.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx

from flowise_conformance.client import FlowiseClient, json_or_none
from flowise_conformance.ids import segment
from flowise_conformance.resources import owned
from flowise_conformance.run import Journal


def delete_path(kind: str, obj_id: str) -> str:
    """The DELETE path of one object (its resource's item path, resources.owned());
    raises KeyError for a kind the run does not own, ids.UnsafeId for an id that is not one path segment."""
    return owned()[kind].item.format(id=segment(obj_id))


def deleted_object(api_path: str) -> tuple[str, str] | None:
    """(kind, id) of the object a DELETE of this API path deletes, if it is a kind the run owns."""
    for kind, resource in owned().items():
        prefix = resource.item[: -len("{id}")]
        rest = api_path[len(prefix):]
        if api_path.startswith(prefix) and rest and "/" not in rest:
            return kind, unquote(rest)
    return None


def journal_created(kind: str, obj_id: str, name: str | None = None, delete: str | None = None) -> None:
    """Journal an object the run created outside the ``tracker`` fixture (e.g. the fuzzer's).

    Usable from any code of a run (controller or xdist worker). ``delete`` is the path that
    deletes it, needed only for a kind the registry does not own (resources.owned()). The end-of-run sweep and
    ``flowise-conformance cleanup`` delete it. Raises RuntimeError outside a run.
    """
    from flowise_conformance.run import current_run

    run = current_run()
    if run is None:
        raise RuntimeError("journal_created() needs a running flowise-conformance session")
    if delete is None:
        delete = delete_path(kind, obj_id)
    if not delete.startswith("/api/v1/") or ".." in delete:
        raise ValueError(f"delete path must be a path under /api/v1/, got {delete!r}")
    run.journal.created(kind, obj_id, delete, name)


class Tracker:
    def __init__(self, client: FlowiseClient, journal: Journal) -> None:
        self.client = client
        self.journal = journal
        self.live: dict[tuple[str, str], str] = {}

    def track(self, kind: str, obj_id: str, name: str | None = None) -> None:
        """Journal an object a create answered. An id that cannot go into a URL raises ids.UnsafeId; one
        that was on the target before the run is not journaled (the sweep finds the real one by name)."""
        from flowise_conformance.plugins.safety.guard import guard

        path = delete_path(kind, obj_id)
        active = guard()
        if active is not None and obj_id in active.foreign:
            return
        self.journal.created(kind, obj_id, path, name)
        self.live[(kind, obj_id)] = path

    def track_response(self, kind: str, response: httpx.Response, name: str | None = None) -> Any:
        """Journal the object a create call made (if it made one); return the parsed body."""
        body = json_or_none(response)
        if response.is_success and isinstance(body, dict) and isinstance(body.get("id"), str):
            self.track(kind, body["id"], name)
        return body

    def gone(self, kind: str, obj_id: str) -> None:
        if self.live.pop((kind, obj_id), None) is not None:
            self.journal.deleted(kind, obj_id)

    def delete(self, kind: str, obj_id: str) -> list[str]:
        """Delete one owned object, proven and confirmed as the sweep does; return problems (never raises
        for HTTP trouble). An object that cannot be proven the run's is left to the sweep, which reports it."""
        from flowise_conformance import cleanup

        if self.journal.deleted_here(kind, obj_id):
            self.live.pop((kind, obj_id), None)
            return []
        path = self.live.get((kind, obj_id)) or delete_path(kind, obj_id)
        item = cleanup.Item(kind, obj_id, None, path)
        with self.client.cleaning_up():
            cleanup._settle(self.client, self.journal, self._prover(), item, set())
        if item.status in ("deleted", "gone"):
            self.live.pop((kind, obj_id), None)
            return []
        return [f"cleanup of {kind} {obj_id}: {item.detail}"]

    def _prover(self):  # noqa: ANN202
        """One Prover for the tracker's life (it keeps what it proved and its read of the journal)."""
        from flowise_conformance import cleanup

        if getattr(self, "_prover_once", None) is None:
            self._prover_once = cleanup._prover(self.client, self.journal)
        return self._prover_once

    def delete_all(self) -> list[str]:
        problems: list[str] = []
        for kind, obj_id in reversed(list(self.live)):
            problems += self.delete(kind, obj_id)
        return problems


def sweep(client: FlowiseClient, journal: Journal) -> tuple[int, list[str]]:
    """Delete everything the journal lists as created and not deleted. Returns (deleted, problems).

    The work is done by ``cleanup.sweep`` (the same code as ``flowise-conformance cleanup``).
    """
    from flowise_conformance import cleanup

    return cleanup.sweep(client, journal)
