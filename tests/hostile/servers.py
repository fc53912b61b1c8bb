"""Small hostile loopback servers: each answers /api/v1/ping correctly, then misbehaves.

Answering ping is deliberate: the run gets past its preflight, so every test meets the
hostile behaviour and the suite's own bounds (timeouts, body cap, give-up rule) are proven.
Raw sockets, because a well-behaved HTTP library cannot send broken HTTP.
"""
from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from typing import Callable

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


class HostileServer:
    """Serves ping correctly and everything else with `behaviour`, on 127.0.0.1."""

    def __init__(self, behaviour: Behaviour, redirect_to: str | None = None) -> None:
        self.behaviour = behaviour
        self.redirect_to = redirect_to
        self.stop = threading.Event()
        self.requests: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                head = _read_head(self.request)
                line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
                outer.requests.append(line)
                try:
                    if line.startswith("GET /api/v1/ping "):
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
