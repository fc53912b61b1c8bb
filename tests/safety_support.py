"""Helpers of the safety self-tests (tests/test_safety_*.py).

- ``RefServer``: the reference server in this process, on a SQLite file (so its whole
  state can be dumped), behind a middleware that records every request's method and path
  and can hold requests (a slow server) or redirect them (to another loopback port).
- ``SEEDS``: data-driven pre-seeding, one entry per resource (a user's objects: chatflow,
  messages via a prediction, feedback, tool, variable, assistant, document store, API
  key). A resource the reference does not implement (404/405) is skipped; adding a
  resource is adding an entry.
- ``start_cli``: ``flowise-conformance ...`` in its own process group (so a test can send
  it SIGINT like a terminal would, or kill -9 it).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx

from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.reference.app import ServerSettings
from flowise_conformance.reference.server import ThreadedServer
from flowise_conformance.run import run_tag

Scope = dict[str, Any]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_LISTS = {"/api/v1/apikey", "/api/v1/credentials"}  # listed at the start of a run too (plugins/safety/inventory.EXTRA_LISTS)


class RefServer:
    """The reference server in a thread of this process, with a recording/holding/redirecting middleware."""

    def __init__(self, tmp: Path, api_key: str, faults: tuple[str, ...] = ()) -> None:
        self.db = tmp / f"reference-{uuid.uuid4().hex[:6]}.db"
        self.api_key = api_key
        self.settings = ServerSettings(api_key=api_key, faults=frozenset(faults), db_path=str(self.db))
        self._ts = ThreadedServer(self.settings)
        self.base_url = self._ts.base_url
        self.requests: list[tuple[str, str]] = []
        self.times: list[float] = []
        self.hold: Callable[[Scope], bool] | None = None  # requests it matches wait for release()
        self.hold_answer: Callable[[Scope], bool] | None = None  # 2xx answers held until release()
        self.held = threading.Event()  # set when a request is being held
        self._release = threading.Event()
        self.redirect_to: str | None = None
        # with redirect_to: answer the start-of-run inventory (GETs of lists) until the first other request
        self.spare_inventory = False
        from flowise_conformance.plugins.safety.guard import collections

        self.collections = set(collections())  # POST to one of these creates an object
        self.created: list[tuple[str, str]] = []  # (collection, id) of every object created through the API
        inner = self._ts._server.config.app
        self._ts._server.config.app = self._middleware(inner)

    def _middleware(self, app: Any) -> Any:
        async def middleware(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            self.requests.append((scope["method"], scope["path"])); self.times.append(time.monotonic())
            if self.hold is not None and self.hold(scope):
                self.held.set()
                deadline = time.monotonic() + 60
                while not self._release.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
            if self.hold_answer is not None and self.hold_answer(scope):
                send = self._held(send)
            inventory = scope["method"] == "GET" and scope["path"].rstrip("/") in self.collections | _LISTS
            if self.spare_inventory and not inventory and scope["path"] not in ("/api/v1/ping", "/api/v1/version"):
                self.spare_inventory = False
            if self.redirect_to and scope["path"] not in ("/api/v1/ping", "/api/v1/version") and not (
                    self.spare_inventory and inventory):
                location = self.redirect_to + scope["path"]
                await send({"type": "http.response.start", "status": 307,
                            "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
            if scope["method"] == "POST" and scope["path"].rstrip("/") in self.collections:
                await app(scope, receive, self._capturing(scope["path"].rstrip("/"), send))
                return
            await app(scope, receive, send)

        return middleware

    def _held(self, send: Any) -> Any:
        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:  # a create that made something
                self.held.set()
                deadline = time.monotonic() + 60
                while not self._release.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
            try:
                await send(message)
            except Exception:  # noqa: BLE001 - the client is gone (killed): nothing to answer
                pass

        return wrapped

    def _capturing(self, path: str, send: Any) -> Any:
        """Records (collection path, id) of what a create answered with 2xx."""
        status: list[int] = []
        chunks: list[bytes] = []

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and status and 200 <= status[0] < 300:
                    try:
                        body = json.loads(b"".join(chunks))
                    except ValueError:
                        body = None
                    if isinstance(body, dict) and isinstance(body.get("id"), str):
                        self.created.append((path, body["id"]))
            await send(message)

        return wrapped

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> "RefServer":
        self._ts.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._ts.__exit__(*exc)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.api_key}"},
                            timeout=10, trust_env=False, follow_redirects=False)

    def dump(self) -> dict[tuple[str, str], str]:
        """Every stored object: (kind, id) -> its stored JSON text, byte for byte."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return {(kind, oid): body for kind, oid, body in db.execute("SELECT kind, id, body FROM docs")}
        finally:
            db.close()

    def unsafe_requests(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] in UNSAFE]


def run_objects(dump: dict[tuple[str, str], str], run_id: str) -> list[str]:
    """Objects whose stored text carries the run's name prefix fc-<tag>- (fc_<tag>_ for identifier names)."""
    prefixes = (f"fc-{run_tag(run_id)}-", f"fc_{run_tag(run_id)}_")
    return sorted(f"{kind} {oid}" for (kind, oid), body in dump.items() if any(p in body for p in prefixes))


def diff_dumps(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> dict[str, list[str]]:
    """What happened to the objects of ``before`` (changed, gone) and what is new in ``after``."""
    return {
        "changed": sorted(f"{k} {i}" for (k, i), body in before.items() if (k, i) in after and after[(k, i)] != body),
        "gone": sorted(f"{k} {i}" for (k, i) in before if (k, i) not in after),
        "new": sorted(f"{k} {i}: {after[(k, i)][:160]}" for (k, i) in after if (k, i) not in before),
    }


# ---------------------------------------------------------------- pre-seeding


@dataclass
class Seed:
    resource: str
    method: str
    path: str  # str.format(**saved): "{chatflow[id]}" is the id of the seed saved as "chatflow"
    body: Callable[[dict[str, Any]], Any]
    save: str | None = None


SEEDS: list[Seed] = [
    Seed("chatflow", "POST", "/api/v1/chatflows",
         lambda s: {"name": "customer-chatflow", "flowData": direct_reply_agentflow(), "type": "AGENTFLOW",
                    "deployed": True, "category": "customer"}, save="chatflow"),
    Seed("chatmessage", "POST", "/api/v1/prediction/{chatflow[id]}",
         lambda s: {"question": "a customer question"}, save="answer"),
    Seed("feedback", "POST", "/api/v1/feedback/{chatflow[id]}",
         lambda s: {"messageId": s["answer"]["chatMessageId"], "chatId": s["answer"]["chatId"],
                    "rating": "THUMBS_UP", "content": "customer feedback"}),
    Seed("tool", "POST", "/api/v1/tools",
         lambda s: {"name": "customer_tool", "description": "a customer tool", "color": "linear-gradient(#000,#fff)",
                    "schema": '[{"property":"x","type":"string","description":"x","required":true}]',
                    "func": "return $x;"}),
    Seed("variable", "POST", "/api/v1/variables",
         lambda s: {"name": "customer_variable", "value": "customer-value", "type": "static"}),
    Seed("assistant", "POST", "/api/v1/assistants",
         lambda s: {"details": json.dumps({"name": "customer-assistant", "description": "customer",
                                           "instruction": "Be kind."}),
                    "credential": str(uuid.uuid4()), "type": "CUSTOM"}),
    Seed("document_store", "POST", "/api/v1/document-store/store",
         lambda s: {"name": "customer-store", "description": "a customer store"}),
    Seed("apikey", "POST", "/api/v1/apikey", lambda s: {"keyName": "customer-key"}),
]


@dataclass
class Seeded:
    made: list[str] = field(default_factory=list)
    not_implemented: list[str] = field(default_factory=list)


def seed(server: RefServer, seeds: list[Seed] = SEEDS) -> Seeded:
    """Create a user's objects of every resource the server implements; a bad seed fails loudly."""
    saved: dict[str, Any] = {}
    result = Seeded()
    with server.client() as http:
        for item in seeds:
            try:
                path = item.path.format(**saved)
            except (KeyError, IndexError, TypeError):
                result.not_implemented.append(f"{item.resource} (needs an earlier seed)")
                continue
            response = http.request(item.method, path, json=item.body(saved))
            if response.status_code in (404, 405) and "not" in response.text.lower():
                result.not_implemented.append(item.resource)
                continue
            assert response.is_success, f"seeding {item.resource}: {item.method} {path} -> {response.status_code} {response.text[:300]}"
            if item.save:
                saved[item.save] = response.json()
            result.made.append(item.resource)
    return result


# ---------------------------------------------------------------- the CLI in its own process group


def cli_env(api_key: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWISE_", "FC_", "PYTEST_"))}
    if api_key is not None:
        env["FLOWISE_API_KEY"] = api_key
    env.update(extra)
    return env


def start_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "flowise_conformance", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def signal_group(proc: subprocess.Popen[str], sig: int) -> None:
    """What a terminal does on Ctrl-C: the signal goes to the whole process group."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def journal_created(journal: Path) -> int:
    if not journal.exists():
        return 0
    return sum(1 for line in journal.read_text().splitlines() if '"event": "created"' in line)


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(proc, signal.SIGKILL)
        out, err = proc.communicate(timeout=10)
        raise AssertionError(f"the CLI did not end within {timeout:.0f} s\n{out[-2000:]}\n{err[-2000:]}") from None
    return proc.returncode, out, err


# ---------------------------------------------------------------- the CLI on other suites

_ALT_RUNNER = """
import os
import sys
from pathlib import Path

import flowise_conformance.paths as paths
import flowise_conformance.redact as redact

if os.environ.get("FC_SELFTEST_NO_REDACTION"):  # proves that a leak would be found
    redact.register_secret = lambda value: None

suites = Path(sys.argv[1])
paths.suites_dir = lambda: suites
from flowise_conformance.cli import main

raise SystemExit(main(sys.argv[2:]))
"""


def start_cli_on_suites(suites: Path, args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`flowise-conformance ARGS` with ``suites`` in place of the shipped suites (for misbehaving tests)."""
    cwd.mkdir(parents=True, exist_ok=True)
    runner = cwd / "fc_alt_suites.py"
    runner.write_text(_ALT_RUNNER)
    return subprocess.Popen([sys.executable, str(runner), str(suites), *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def journaled_ids(journal: Path) -> set[str]:
    ids = set()
    for line in journal.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "created":
            ids.add(entry.get("id"))
    return ids


# ---------------------------------------------------------------- a recording proxy (for a real server)


class RecordingProxy:
    """A loopback reverse proxy to ``upstream`` that records every request's method and path.

    Streams answers through (SSE included), never follows redirects; for a server we cannot
    instrument (real Flowise).
    """

    def __init__(self, upstream: str) -> None:
        import uvicorn

        from flowise_conformance.reference.server import bind_loopback

        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, str]] = []
        self._sock = bind_loopback(0)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(self._app, log_level="warning", access_log=False, lifespan="off", interface="asgi3")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])),
                                        daemon=True)

    async def _app(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.requests.append((scope["method"], scope["path"]))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k.lower() != b"host"]
        url = self.upstream + scope["path"] + (("?" + scope["query_string"].decode()) if scope["query_string"] else "")
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0), follow_redirects=False, trust_env=False) as http:
            async with http.stream(scope["method"], url, headers=headers, content=body) as answer:
                out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()
                       if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")]
                await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
                async for chunk in answer.aiter_bytes():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    def __enter__(self) -> "RecordingProxy":
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                break
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()
