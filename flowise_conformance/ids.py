"""Server ids into URLs: each id is exactly one percent-encoded path segment, or it is refused.

An id comes from the server. Pasted into a path as is, ``..`` climbs out of its collection
(httpx and urllib3 resolve dot segments before sending), ``a/b`` adds a segment, ``?x`` and
``#`` end the path, and ``%2e%2e`` is decoded to ``..`` by many servers. So every path built
from a server id goes through ``item_path``; an id that is empty, a dot segment, or that would
change the path once decoded is refused as a server defect (``UnsafeId``) and never sent.
``check_path`` applies the same rule to a whole path a client is about to send.
"""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, unquote

from flowise_conformance.checks.core import ConformanceFailure

_SEPARATORS = ("/", "\\", "?", "#")
_DECODE_ROUNDS = 3  # a server that decodes twice still sees no dot segment or separator


class UnsafeId(ConformanceFailure):
    """The server answered an id that cannot be one path segment: a server defect, nothing sent."""


def _why_unsafe(value: str) -> str | None:
    """Why this id cannot be one path segment (None when it can)."""
    if value == "":
        return "it is empty"
    decoded = value
    for _ in range(_DECODE_ROUNDS):
        if decoded in (".", ".."):
            return "it is a dot segment (it would name the collection or its parent)"
        if any(sep in decoded for sep in _SEPARATORS):
            return "it contains a path separator, '?' or '#' (it would change the path)"
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            return None
    return "it is percent-encoded more than twice"


def segment(obj_id: Any, what: str = "id") -> str:
    """``obj_id`` as one encoded path segment; raises UnsafeId when it cannot be one."""
    if not isinstance(obj_id, (str, int, uuid.UUID)) or isinstance(obj_id, bool):
        raise UnsafeId(f"The server answered an unusable {what}", "a string id",
                       f"{type(obj_id).__name__} {obj_id!r:.80}")
    text = str(obj_id)
    why = _why_unsafe(text)
    if why is not None:
        raise UnsafeId(f"The server answered an {what} that cannot go into a URL: {why}; nothing was sent",
                       "an id that is one path segment", repr(text[:80]))
    return quote(text, safe="")


def item_path(collection: str, obj_id: Any, *rest: Any) -> str:
    """``collection/<id>[/<rest>...]``, each id one encoded segment (``item_path("chatflows", id)``)."""
    return "/".join([collection.rstrip("/"), segment(obj_id), *(segment(r) for r in rest)])


def check_path(path: str) -> None:
    """Refuse a path (without query) whose segments a resolver would change: ``.``, ``..``, ``?``, ``#``."""
    if "?" in path or "#" in path:
        raise UnsafeId("A request path carries '?' or '#' (an id pasted into it unencoded?); nothing was sent",
                       "a path without query or fragment (use params=)", repr(path[:120]))
    for part in path.split("/"):
        decoded = part
        for _ in range(_DECODE_ROUNDS):
            if decoded in (".", ".."):
                raise UnsafeId("A request path has a dot segment (an id pasted into it unencoded?); nothing was sent",
                               "a path whose every segment names one thing", repr(path[:120]))
            decoded, before = unquote(decoded), decoded
            if decoded == before:
                break
