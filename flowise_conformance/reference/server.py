"""Run the reference app on a loopback socket with uvicorn (foreground or in a thread)."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import threading

import uvicorn

from flowise_conformance.reference.app import ServerSettings, create_app


def bind_loopback(port: int = 0) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP
    # (a proto of 0 is skipped), and without it every keep-alive answer waits ~40 ms (Nagle + delayed ACK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class CountingApp:
    """Counts HTTP requests (for the benchmark's request rate); otherwise transparent.

    The count is rewritten in place on every request (a 20-byte pwrite): uvicorn re-raises
    SIGTERM after its shutdown, so nothing written at exit would be sure to land.
    """

    def __init__(self, app, counts: dict[str, int], path: str | None = None) -> None:  # noqa: ANN001
        self.app = app
        self.counts = counts
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if path else None

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] == "http":
            self.counts["requests"] = self.counts.get("requests", 0) + 1
            if self.fd is not None:
                os.pwrite(self.fd, json.dumps(self.counts).ljust(40).encode(), 0)
        await self.app(scope, receive, send)


def _server(settings: ServerSettings, counts: dict[str, int] | None = None, stats_file: str | None = None) -> uvicorn.Server:
    app = create_app(settings)
    config = uvicorn.Config(
        CountingApp(app, counts, stats_file) if counts is not None else app, log_level="warning", access_log=False, lifespan="off",
        timeout_keep_alive=5, h11_max_incomplete_event_size=64 * 1024,
    )
    return uvicorn.Server(config)


def serve_forever(settings: ServerSettings, sock: socket.socket, stats_file: str | None = None) -> None:
    """Blocks until SIGINT/SIGTERM (uvicorn installs the handlers); then writes the request count."""
    counts: dict[str, int] | None = {} if stats_file else None
    _server(settings, counts, stats_file).run(sockets=[sock])


class ThreadedServer:
    """The reference server in a background thread of this process (for self-tests)."""

    def __init__(self, settings: ServerSettings, port: int = 0) -> None:
        self.settings = settings
        self._sock = bind_loopback(port)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server = _server(settings)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._run, name=f"reference-{self.port}", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def __enter__(self) -> "ThreadedServer":
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                break
            self._thread.join(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()
