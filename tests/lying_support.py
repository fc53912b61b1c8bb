"""A reference server that lies the way real servers do, for the safety self-tests.

``LyingServer`` is ``safety_support.RefServer`` (SQLite state, a recorder of every request)
with one more middleware that, as ``Lies`` says: answers creates with other ids (a pre-existing
object's, or odd ones such as ``..``), hides objects from lists, fails the lists a run takes its
inventory from (503, a redirect), answers every PUT/DELETE with a 307 to another object,
answers DELETE 2xx while deleting nothing, or refuses creates (a 401 to POST /api/v1/tools).
What reaches the server is recorded raw (``raw_requests``: method and the undecoded path), so a test can say exactly what was sent.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from tests.safety_support import RefServer, Scope

WRITES = {"PUT", "PATCH", "DELETE"}


@dataclass
class Lies:
    create_ids: dict[str, Iterator[str]] = field(default_factory=dict)  # collection -> ids its 2xx creates answer
    hidden: set[str] = field(default_factory=set)  # ids no list shows
    list_status: dict[str, int] = field(default_factory=dict)  # collection -> status its GET answers
    redirect_writes_to: str | None = None  # an API path: every PUT/PATCH/DELETE answers 307 to it
    delete_noop: bool = False  # DELETE answers 200 and deletes nothing
    create_status: dict[str, int] = field(default_factory=dict)  # collection -> status its POST answers, creating nothing


def cycle(*ids: str) -> Iterator[str]:
    return itertools.cycle(ids)


class LyingServer(RefServer):
    def __init__(self, tmp: Path, api_key: str, lies: Lies) -> None:
        self.lies = lies
        self.raw_requests: list[tuple[str, str]] = []
        super().__init__(tmp, api_key)

    def _middleware(self, app: Any) -> Any:
        return super()._middleware(self._lying(app))

    def unsafe_raw(self) -> list[tuple[str, str]]:
        return [r for r in self.raw_requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]

    def _lying(self, app: Any) -> Any:
        async def answer(send: Any, status: int, body: Any, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
            data = json.dumps(body).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(data)).encode()), *headers]})
            await send({"type": "http.response.body", "body": data})

        async def middleware(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            lies = self.lies  # read at each request: a test sets it after seeding
            method, path = scope["method"], scope["path"].rstrip("/")
            self.raw_requests.append((method, scope.get("raw_path", b"").decode("latin-1")))
            if method == "GET" and path in lies.list_status:
                status = lies.list_status[path]
                location = [(b"location", f"{self.base_url}/api/v1/elsewhere".encode())] if 300 <= status < 400 else []
                await answer(send, status, {"message": "not now"}, location)
                return
            if method in WRITES and lies.redirect_writes_to:
                await answer(send, 307, {}, [(b"location", f"{self.base_url}{lies.redirect_writes_to}".encode())])
                return
            if method == "DELETE" and lies.delete_noop:
                await answer(send, 200, {"raw": [], "affected": 1})
                return
            if method == "POST" and path in lies.create_status:
                await answer(send, lies.create_status[path], {"message": "refused"})
                return
            if method == "POST" and path in lies.create_ids:
                ids = lies.create_ids[path]
                await app(scope, receive, _rewriting(send, lambda body: _with_id(body, ids)))
                return
            if method == "GET" and path in self.collections and lies.hidden:
                await app(scope, receive, _rewriting(send, lambda body: _without(body, lies.hidden)))
                return
            await app(scope, receive, send)

        return middleware


def _with_id(body: Any, ids: Iterator[str]) -> Any:
    if isinstance(body, dict) and "id" in body:
        return {**body, "id": next(ids)}
    return body


def _without(body: Any, hidden: set[str]) -> Any:
    if isinstance(body, list):
        return [o for o in body if not (isinstance(o, dict) and o.get("id") in hidden)]
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": _without(body["data"], hidden)}
    return body


def _rewriting(send: Any, change: Callable[[Any], Any]) -> Any:
    """Buffers a 2xx JSON answer and sends ``change(body)`` instead (other answers pass unchanged)."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        raw = b"".join(chunks)
        if 200 <= start["status"] < 300:
            try:
                raw = json.dumps(change(json.loads(raw))).encode()
            except ValueError:
                pass
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(raw)).encode())]})
        await send({"type": "http.response.body", "body": raw})

    return wrapped
