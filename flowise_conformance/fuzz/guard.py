"""Which ids a fuzzed request may carry: this run's own objects, or ids that cannot exist.

A fuzzer that reuses ids it saw in responses (a list of chatflows, a link it inferred) would
update, delete or write messages into objects the run did not create. So before every call
(``Guard.apply``) each id-shaped value in the path and in the top level of a JSON body is
checked: a value that is a uuid this process does not own is replaced by a *stand-in*, a uuid
derived from it in a namespace of our own (``uuid5``), which no server has. Values that are not
uuids pass unchanged: they exercise the 400/404 paths and cannot name a real object of a server
that keys its objects by uuid. The replacement is deterministic, so the same seed sends the
same requests.

What this process owns: the objects its fixtures made, and every object a fuzzed create made
(the after-call hook journals those with the tracker and calls ``own``).
"""
from __future__ import annotations

import threading
import uuid
from typing import Any, Iterable

STAND_IN_NAMESPACE = uuid.UUID("3d8f0c8e-6a1f-4c52-9d0e-6b1f0c2a7e51")


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) not in (32, 36, 38, 45):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def stand_in(value: str) -> str:
    """A uuid no server has, derived from ``value`` (same value, same stand-in)."""
    return str(uuid.uuid5(STAND_IN_NAMESPACE, value))


class Ownership:
    """The ids this process may send in paths and bodies."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def own(self, *ids: Any) -> None:
        with self._lock:
            self._ids.update(str(i).lower() for i in ids if isinstance(i, str) and i)

    def owns(self, value: str) -> bool:
        return value.lower() in self._ids

    def disown(self, value: str) -> None:
        with self._lock:
            self._ids.discard(value.lower())

    def safe(self, value: Any) -> Any:
        """``value``, or its stand-in when it is a uuid this process does not own."""
        if is_uuid(value) and not self.owns(value):
            return stand_in(value)
        return value

    def sanitize_path(self, params: dict[str, Any] | None) -> list[str]:
        """Replace foreign uuids among path parameters in place; return the names replaced."""
        changed = []
        for name, value in list((params or {}).items()):
            safe = self.safe(value)
            if safe != value:
                params[name] = safe  # type: ignore[index]
                changed.append(name)
        return changed

    def sanitize_body(self, body: Any, keys: Iterable[str] | None = None) -> list[str]:
        """Replace foreign uuids among a JSON object's top-level string values in place."""
        if not isinstance(body, dict):
            return []
        changed = []
        for key in list(keys if keys is not None else body):
            if key in body:
                safe = self.safe(body[key])
                if safe != body[key]:
                    body[key] = safe
                    changed.append(key)
        return changed
