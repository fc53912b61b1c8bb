"""The identity of one run and what it owns.

Every object the run creates is named ``fc-<tag>-<n>`` and appended to
``<report dir>/<run id>/journal.jsonl`` the moment it is created, so that cleanup can
remove exactly what the run made, even after a crash, and nothing else.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_run_id(value: str, source: str = "--run-id") -> str:
    """A run id names a directory under the report directory: never a path that leaves it."""
    from flowise_conformance.errors import UsageError

    if not _RUN_ID.fullmatch(value) or ".." in value:
        raise UsageError(f"{source}: a run id is 1-100 letters, digits, '.', '_' or '-' (no '/' or '..'), "
                         f"got {value[:100]!r}")
    return value


def new_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


def run_tag(run_id: str) -> str:
    return run_id.rsplit("-", 1)[-1]


# (journal path, kind, id) journaled as deleted by this process: RunScope.journal is a new
# Journal object on each access, so this is kept per process, not per object
_DELETED_HERE: set[tuple[str, str, str]] = set()


@dataclass
class Journal:
    """Append-only record of created (and deleted) objects; safe across xdist workers."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)

    def created(self, kind: str, obj_id: str, delete_path: str, name: str | None = None) -> None:
        self._append({"event": "created", "kind": kind, "id": obj_id, "delete": delete_path, "name": name,
                      "at": time.time(), "pid": os.getpid()})

    def run_started(self, run_id: str, base_url: str | None) -> None:
        """The header of a run: which target its objects live on (``cleanup`` checks it)."""
        self._append({"event": "run", "run_id": run_id, "base_url": base_url, "at": time.time(), "pid": os.getpid()})

    def inventory(self, ids: list[str]) -> None:
        """The ids on the target before the run wrote anything: ``cleanup`` never touches them."""
        self._append({"event": "inventory", "ids": ids, "at": time.time(), "pid": os.getpid()})

    def foreign_ids(self) -> set[str]:
        return {i for e in self.entries() if e.get("event") == "inventory" for i in e.get("ids") or ()
                if isinstance(i, str)}

    def base_url(self) -> str | None:
        """The target recorded by the first run header, if any."""
        for entry in self.entries():
            if entry.get("event") == "run" and isinstance(entry.get("base_url"), str):
                return entry["base_url"]
        return None

    def creating(self, kind: str, name: str) -> None:
        """Written just before a create is sent: if the answer is never read (kill -9, Ctrl-C), the
        object is still found by this run-unique name (``pending_creates``)."""
        self._append({"event": "creating", "kind": kind, "name": name, "at": time.time(), "pid": os.getpid()})

    def resolved(self, name: str) -> None:
        """A pending create was looked up: found and deleted, or never made."""
        self._append({"event": "resolved", "name": name, "at": time.time(), "pid": os.getpid()})

    def pending_creates(self) -> list[tuple[str, str]]:
        """(kind, name) of creates sent whose answer no ``created`` entry records, not yet resolved."""
        intents: dict[str, str] = {}
        done: set[str] = set()
        for entry in self.entries():
            name = entry.get("name")
            if not isinstance(name, str):
                continue
            if entry.get("event") == "creating" and isinstance(entry.get("kind"), str):
                intents[name] = entry["kind"]
            elif entry.get("event") in ("created", "resolved"):
                done.add(name)
        return [(kind, name) for name, kind in intents.items() if name not in done]

    def proven(self, kind: str, obj_id: str) -> None:
        """A read-back showed the run's name on this object: it is the run's until it is gone, whatever it is
        renamed to later (a test's or the fuzzer's update may give it a name without the run's mark)."""
        self._append({"event": "proven", "kind": kind, "id": obj_id, "at": time.time(), "pid": os.getpid()})

    def gone(self, kind: str, obj_id: str) -> None:
        """A read-back found the object absent: an earlier proof no longer holds (the id may be reused)."""
        self._append({"event": "gone", "kind": kind, "id": obj_id, "at": time.time(), "pid": os.getpid()})

    def proven_ids(self) -> set[tuple[str, str]]:
        """(kind, id) proven the run's and not seen deleted or absent since."""
        proven: set[tuple[str, str]] = set()
        for entry in self.entries():
            key = (entry.get("kind", ""), entry.get("id", ""))
            if entry.get("event") == "proven":
                proven.add(key)
            elif entry.get("event") in ("deleted", "gone"):
                proven.discard(key)
        return proven

    def deleted(self, kind: str, obj_id: str) -> None:
        _DELETED_HERE.add((str(self.path), kind, obj_id))
        self._append({"event": "deleted", "kind": kind, "id": obj_id, "at": time.time(), "pid": os.getpid()})

    def deleted_here(self, kind: str, obj_id: str) -> bool:
        """Did this process already journal the object as deleted (e.g. a test's own DELETE)?"""
        return (str(self.path), kind, obj_id) in _DELETED_HERE

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a kill -9 is skipped, the rest still counts
        return out

    def outstanding(self) -> list[dict[str, Any]]:
        """Created and not (yet) recorded as deleted, newest first (children before parents)."""
        live: dict[tuple[str, str], dict[str, Any]] = {}
        for entry in self.entries():
            key = (entry.get("kind", ""), entry.get("id", ""))
            if entry.get("event") == "created":
                live[key] = entry
            elif entry.get("event") == "deleted":
                live.pop(key, None)
        return sorted(live.values(), key=lambda e: e.get("at", 0), reverse=True)


@dataclass
class RunScope:
    """One process's view of the run: its names (a counter per process) and the shared journal.

    What all processes of a run share (target, run id, preflight) is ``run_context.RunContext``.
    """

    run_id: str
    report_dir: Path
    _counter: Iterable[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def tag(self) -> str:
        return run_tag(self.run_id)

    @property
    def run_dir(self) -> Path:
        return self.report_dir / self.run_id

    @property
    def journal(self) -> Journal:
        return Journal(self.run_dir / "journal.jsonl")

    def name(self, what: str = "obj") -> str:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
        return f"fc-{self.tag}-{worker}-{what}-{next(self._counter)}"  # type: ignore[call-overload]


_current: dict[str, RunScope] = {}


def set_current_run(run: RunScope | None) -> None:
    """The run of this process (controller or xdist worker); set by the safety plugin."""
    if run is None:
        _current.pop("run", None)
    else:
        _current["run"] = run


def current_run() -> RunScope | None:
    return _current.get("run")
