"""Hostile servers that speak valid HTTP but put dangerous text into their answers.

- ``EchoServer(echo_key=True)`` echoes the request's Authorization header into every answer,
  in the encodings real servers use (as is, JSON with ``\\u0026``/``\\/`` escapes, URL-encoded),
  after a padding whose length changes with every request, so that every cut the suite makes
  (transcripts, excerpts, pytest's shortened reprs) falls somewhere inside the key.
- ``EchoServer(controls=True)`` puts terminal escape sequences (clear screen, window title,
  OSC 8 link, cursor query, C1 CSI) into its answers and its version string.

Both answer ``GET /api/v1/ping`` correctly, so the run gets past its preflight, and the
start-of-run inventory with empty lists (``InventoryGate``), so the run gets to its tests.
"""
from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from tests.hostile.servers import InventoryGate

# clear screen, window title, OSC 8 hyperlink, cursor position query, C1 CSI, bell, backspace
CONTROLS = "\x1b[2J\x1b]0;fc-owned-title\x07\x1b]8;;http://127.0.0.1:9/x\x1b\\link\x1b]8;;\x1b\\\x1b[6n\x9b31m\x08\x07"
MAX_REQUEST_BODY = 1 << 20


def go_json(text: str) -> str:
    """A JSON string as Go's encoder writes it: <, > and & as \\u003c, \\u003e, \\u0026."""
    out = json.dumps(text)
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class EchoServer:
    """A threaded loopback HTTP server; ``base_url`` is set once it listens."""

    def __init__(self, *, echo_key: bool = False, controls: bool = False) -> None:
        counter = itertools.count(1)
        inventory = InventoryGate()
        outer = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _answer(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_REQUEST_BODY)
                if length:
                    self.rfile.read(length)
                outer.requests += 1
                if self.path == "/api/v1/ping":
                    return self._send(200, "text/plain", "pong")
                if self.path == "/api/v1/version":
                    version = "3.1.4" + (CONTROLS if controls else "")
                    return self._send(200, "application/json", json.dumps({"version": version}))
                if inventory.spares(self.command, self.path):
                    return self._send(200, "application/json", "[]")
                n = next(counter)
                auth = self.headers.get("Authorization", "") if echo_key else ""
                pad = "p" * ((n * 37) % 2100)  # moves the key across every cut point
                text = pad + auth + (CONTROLS if controls else "") + " / " + auth
                body = ('{"statusCode": 500, "success": false, "message": ' + go_json(text)
                        + ', "slash": ' + json.dumps(auth).replace("/", "\\/")
                        + ', "url": ' + json.dumps(quote(auth, safe=""))
                        + ', "stack": ' + json.dumps(pad[:n % 300] + auth) + "}")
                headers = {"X-Echo": auth} if echo_key else {}
                if controls:
                    headers["X-Controls"] = CONTROLS.replace("\x9b", "")  # a header value must be latin-1
                self._send(500, "application/json", body, headers)

            def _send(self, status: int, ctype: str, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "EchoServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
