"""Owned-only cleanup: what a test creates is journaled at once and deleted afterwards.

Only journaled objects are ever deleted; a delete that answers 404 counts as gone.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from flowise_conformance.client import FlowiseClient, json_or_none
from flowise_conformance.run import Journal

# kind -> path template of its DELETE
DELETE_PATHS = {
    "chatflow": "/api/v1/chatflows/{id}",
    "tool": "/api/v1/tools/{id}",
    "variable": "/api/v1/variables/{id}",
    "assistant": "/api/v1/assistants/{id}",
    "document_store": "/api/v1/document-store/store/{id}",
}


def delete_path(kind: str, obj_id: str) -> str:
    return DELETE_PATHS[kind].format(id=quote(obj_id, safe=""))


class Tracker:
    def __init__(self, client: FlowiseClient, journal: Journal) -> None:
        self.client = client
        self.journal = journal
        self.live: dict[tuple[str, str], str] = {}

    def track(self, kind: str, obj_id: str, name: str | None = None) -> None:
        path = delete_path(kind, obj_id)
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
        """Delete one owned object; return problems (never raises for HTTP trouble)."""
        path = self.live.get((kind, obj_id)) or delete_path(kind, obj_id)
        try:
            response = self.client.delete(path)
        except httpx.HTTPError as exc:
            return [f"cleanup of {kind} {obj_id}: {type(exc).__name__}: {exc}"]
        if response.status_code in (200, 204, 404):
            self.gone(kind, obj_id)
            return []
        return [f"cleanup of {kind} {obj_id}: DELETE {path} answered {response.status_code}"]

    def delete_all(self) -> list[str]:
        problems: list[str] = []
        for kind, obj_id in reversed(list(self.live)):
            problems += self.delete(kind, obj_id)
        return problems


def sweep(client: FlowiseClient, journal: Journal) -> tuple[int, list[str]]:
    """Delete everything the journal lists as created and not deleted. Returns (deleted, problems)."""
    tracker = Tracker(client, journal)
    deleted = 0
    problems: list[str] = []
    for entry in journal.outstanding():
        kind, obj_id = entry.get("kind"), entry.get("id")
        if kind not in DELETE_PATHS or not isinstance(obj_id, str):
            continue
        tracker.live[(kind, obj_id)] = delete_path(kind, obj_id)
        found = tracker.delete(kind, obj_id)
        problems += found
        deleted += 0 if found else 1
    return deleted, problems
