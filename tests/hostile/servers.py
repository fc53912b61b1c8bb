"""Small hostile loopback servers: each answers /api/v1/ping correctly, then misbehaves.

Answering ping is deliberate: the run gets past its preflight, so every test meets the
hostile behaviour and the suite's own bounds (timeouts, body cap, give-up rule) are proven.
Raw sockets, because a well-behaved HTTP library cannot send broken HTTP.
"""
from __future__ import annotations

import asyncio
import functools
import socket
import socketserver
import struct
import threading
import time
import zlib
from typing import Any, Awaitable, Callable

PONG = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong"


def _read_head(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


def silent(sock: socket.socket, stop: threading.Event) -> None:
    """Accepts the request and never answers."""
    stop.wait(600)


def trickle(sock: socket.socket, stop: threading.Event) -> None:
    """Answers one byte per second, forever."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
    while not stop.wait(1.0):
        sock.sendall(b" ")


def reset(sock: socket.socket, stop: threading.Event) -> None:
    """Resets the connection (RST) instead of answering."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def garbage(sock: socket.socket, stop: threading.Event) -> None:
    """Sends bytes that are not HTTP, then closes."""
    sock.sendall(b"\x00\xff\xfeSSH-2.0-not-http\r\n\x16\x03\x01 garbage garbage\r\n\r\n")


def huge(sock: socket.socket, stop: threading.Event) -> None:
    """Sends a 1 GB body as fast as the client reads it."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
    block = b"0" * 65536
    for _ in range(1073741824 // len(block)):
        if stop.is_set():
            return
        sock.sendall(block)


def endless_sse(sock: socket.socket, stop: threading.Event) -> None:
    """Answers every request with an event stream that never ends."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    event = b'message:\ndata:{"event":"token","data":"more "}\n\n'
    chunk = b"%x\r\n%s\r\n" % (len(event), event)
    while not stop.is_set():
        sock.sendall(chunk * 64)
        time.sleep(0.01)


Behaviour = Callable[[socket.socket, threading.Event], None]
EMPTY_LIST = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]"


def _inventory_paths() -> frozenset[str]:
    from flowise_conformance.plugins.safety.guard import collections
    from flowise_conformance.plugins.safety.inventory import EXTRA_LISTS

    return frozenset(list(collections()) + list(EXTRA_LISTS.values()))


INVENTORY_PATHS = _inventory_paths()


class InventoryGate:
    """Says which requests belong to the run's start-of-run inventory, to be answered honestly with [].

    The run stops with exit 2 when it cannot list the target's objects (docs/safety.md), so a
    server hostile from its first answer would only ever test that; these servers turn hostile
    with the first request that is not a list GET (nor ping or version), which is a test's.
    """

    def __init__(self) -> None:
        self.open = True

    def spares(self, method: str, path: str = "") -> bool:
        if self.open and method == "GET" and path in INVENTORY_PATHS:
            return True
        if path not in ("/api/v1/ping", "/api/v1/version"):
            self.open = False
        return False


class HostileServer:
    """Serves ping correctly (or with `ping`) and everything else with `behaviour`, on 127.0.0.1."""

    def __init__(self, behaviour: Behaviour, redirect_to: str | None = None, ping: Behaviour | None = None) -> None:
        self.behaviour = behaviour
        self.ping = ping  # None: ping answers pong
        self.redirect_to = redirect_to
        self.stop = threading.Event()
        self.requests: list[str] = []
        self.inventory = InventoryGate()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                head = _read_head(self.request)
                line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
                outer.requests.append(line)
                try:
                    if outer.inventory.spares(*line.split(" ")[:2]):
                        self.request.sendall(EMPTY_LIST)
                    elif line.startswith("GET /api/v1/ping ") and outer.ping is not None:
                        outer.ping(self.request, outer.stop)
                    elif line.startswith("GET /api/v1/ping "):
                        self.request.sendall(PONG)
                    elif outer.redirect_to:
                        target = outer.redirect_to + line.split(" ")[1] if " " in line else outer.redirect_to
                        self.request.sendall(
                            b"HTTP/1.1 302 Found\r\nLocation: " + target.encode() + b"\r\nContent-Length: 0\r\n"
                            b"Connection: close\r\n\r\n"
                        )
                    else:
                        outer.behaviour(self.request, outer.stop)
                except OSError:
                    pass

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "HostileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


class Recorder:
    """A server on another loopback host (127.0.0.2) that only counts the requests it gets."""

    def __init__(self) -> None:
        self.hits = 0
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.hits += 1
                _read_head(self.request)
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.2", 0), Handler)
        self.base_url = f"http://127.0.0.2:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------- compressed bodies

@functools.lru_cache(maxsize=4)
def gzip_bomb(layers: int = 2, inflated: int = 1 << 30) -> bytes:
    """`inflated` zero bytes gzipped `layers` times (2 layers of 1 GiB: about 13 KB on the wire; built once, ~5 s)."""
    body = b""
    for layer in range(layers):
        c = zlib.compressobj(1 if layer == 0 else 9, zlib.DEFLATED, 31)
        if layer == 0:
            block = b"\0" * (1 << 20)
            body = b"".join([c.compress(block) for _ in range(inflated // len(block))] + [c.flush()])
        else:
            body = c.compress(body) + c.flush()
    return body


def bomb_answer(layers: int = 2) -> bytes:
    """A 200 JSON answer whose body is a gzip bomb, Content-Encoding listing `layers` gzip layers."""
    body = gzip_bomb(layers)
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: "
            + b", ".join([b"gzip"] * layers) + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def gzip_gzip_bomb(sock: socket.socket, stop: threading.Event) -> None:
    """Answers with 1 GiB of zeros gzipped twice (`Content-Encoding: gzip, gzip`)."""
    sock.sendall(bomb_answer(2))


# ---------------------------------------------------------------- one hostile route on a compliant server

Scope = dict[str, Any]
AsgiBehaviour = Callable[[Scope, Any, Any, threading.Event], Awaitable[None]]


class HostileReference:
    """The reference server in a thread of this process, except that a request `matches` gets `behaviour`.

    So every other request is answered correctly, and only the route under test misbehaves
    (one stalling endpoint, a stream that never sends an event, ...). `hits` counts the
    requests the behaviour answered.
    """

    def __init__(self, matches: Callable[[Scope], bool], behaviour: AsgiBehaviour, api_key: str) -> None:
        from flowise_conformance.reference.app import ServerSettings
        from flowise_conformance.reference.server import ThreadedServer

        self.matches = matches
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.hits = 0
        self._ts = ThreadedServer(ServerSettings(api_key=api_key))
        self.base_url = self._ts.base_url
        self.inner = inner = self._ts._server.config.app

        async def middleware(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and self.matches(scope):
                self.hits += 1
                try:
                    await self.behaviour(scope, receive, send, self.stop)
                except OSError:
                    pass
                return
            await inner(scope, receive, send)

        self._ts._server.config.app = middleware

    def __enter__(self) -> "HostileReference":
        self._ts.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._ts.__exit__(*exc)


async def _pause(stop: threading.Event, seconds: float) -> bool:
    """Sleep `seconds` (in steps, so the server can stop); False once the server stops."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if stop.is_set():
            return False
        await asyncio.sleep(min(0.05, max(0.0, end - time.monotonic())))
    return not stop.is_set()


async def _start(send: Any, content_type: bytes, *extra: tuple[bytes, bytes]) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", content_type), (b"cache-control", b"no-cache"), *extra]})


async def asgi_stall(scope: Scope, receive: Any, send: Any, stop: threading.Event) -> None:
    """Never answers (for up to 10 minutes)."""
    await _pause(stop, 600)


def asgi_trickle_json(interval: float) -> AsgiBehaviour:
    """A 200 `application/json` answer that sends one byte every `interval` seconds, for up to 10 minutes."""

    async def behaviour(scope: Scope, receive: Any, send: Any, stop: threading.Event) -> None:
        await _start(send, b"application/json")
        end = time.monotonic() + 600
        while time.monotonic() < end and await _pause(stop, interval):
            await send({"type": "http.response.body", "body": b" ", "more_body": True})

    return behaviour


async def asgi_endless_comments(scope: Scope, receive: Any, send: Any, stop: threading.Event) -> None:
    """An event stream of comments only, ten a second, that never dispatches an event (for up to 10 minutes)."""
    await _start(send, b"text/event-stream")
    end = time.monotonic() + 600
    while time.monotonic() < end and await _pause(stop, 0.1):
        await send({"type": "http.response.body", "body": b":still thinking\n", "more_body": True})


def asgi_huge_first_line(size: int) -> AsgiBehaviour:
    """An event stream whose first line is `data:` and `size` bytes, sent as fast as the client reads."""

    async def behaviour(scope: Scope, receive: Any, send: Any, stop: threading.Event) -> None:
        await _start(send, b"text/event-stream")
        await send({"type": "http.response.body", "body": b'data: {"event":"token","data":"', "more_body": True})
        block = b"x" * (1 << 20)
        for _ in range(size // len(block)):
            if stop.is_set():
                return
            await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b'"}\n\n', "more_body": False})

    return behaviour


def asgi_bomb(layers: int) -> AsgiBehaviour:
    """A 200 JSON answer: 1 GiB of zeros gzipped `layers` times."""

    async def behaviour(scope: Scope, receive: Any, send: Any, stop: threading.Event) -> None:
        body = gzip_bomb(layers)
        await _start(send, b"application/json", (b"content-encoding", b", ".join([b"gzip"] * layers)),
                     (b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return behaviour


def asgi_delayed(server: HostileReference, seconds: float) -> AsgiBehaviour:
    """Answers like the reference server, `seconds` late."""

    async def behaviour(scope: Scope, receive: Any, send: Any, stop: threading.Event) -> None:
        if await _pause(stop, seconds):
            await server.inner(scope, receive, send)

    return behaviour
