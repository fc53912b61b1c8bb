"""The SDK adapters: the real SDKs against a tiny loopback server, their bounds, skips and key handling.

The server answers like Flowise: GET /api/v1/chatflows-streaming/<id> -> {"isStreaming": true};
POST /api/v1/prediction/<id> -> JSON, or (``"streaming": true``) the reference server's SSE framing,
optionally with the client-only fault applied, or a stream that stalls, or no answer at all
(modes: flowise, split, stall, silent, missing: the probe answers 404).
"""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from flowise_conformance.clients import RAISED, RETURNED, TIMEOUT, SdkUnavailable
from flowise_conformance.clients import js_sdk
from flowise_conformance.clients.checks import stream_events, streamed_text
from flowise_conformance.checks.core import ConformanceFailure
from flowise_conformance.reference.client_framing import split_data_line
from flowise_conformance.reference.sse_out import HEARTBEAT, frame

KEY = "fc-selftest-key-0123456789"
ANSWER = "Echo: hi there"
TOKENS = ["Echo:", " hi", " there"]


class _Server:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop = threading.Event()
        self.auth: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                if outer.mode == "missing":
                    self._send(404, b'{"statusCode":404,"success":false,"message":"not found"}', "application/json")
                    return
                self._send(200, b'{"isStreaming":true}', "application/json")

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                outer.auth.append(self.headers.get("Authorization"))
                if outer.mode == "silent":
                    outer.stop.wait(60)
                    return
                if not body.get("streaming"):
                    self._send(200, json.dumps({"text": ANSWER, "chatId": "c1"}).encode(), "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if outer.mode == "stall":
                        self.wfile.write(frame("start", TOKENS[0]))
                        while not outer.stop.wait(0.2):
                            self.wfile.write(HEARTBEAT)
                            self.wfile.flush()
                        return
                    frames = [frame("start", TOKENS[0]), *(frame("token", t) for t in TOKENS),
                              frame("metadata", {"chatId": "c1"}), frame("end", "[DONE]")]
                    for f in frames:
                        self.wfile.write(split_data_line(f) if outer.mode == "split" else f)
                        self.wfile.flush()
                except OSError:
                    pass
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[_Server]:
    with _Server(getattr(request, "param", "flowise")) as found:
        yield found


def _python_sdk(base_url: str, deadline: float = 10.0) -> Any:
    try:
        from flowise_conformance.clients.python_sdk import PythonSdk

        return PythonSdk(base_url, KEY, connect=2.0, read=5.0, deadline=deadline)
    except SdkUnavailable as exc:
        pytest.skip(str(exc))


def _js_sdk(base_url: str, deadline: float = 10.0) -> Any:
    try:
        return js_sdk.JsSdk(base_url, KEY, deadline=deadline)
    except SdkUnavailable as exc:
        pytest.skip(str(exc))


MAKERS = {"python-sdk": _python_sdk, "js-sdk": _js_sdk}


@pytest.mark.parametrize("which", MAKERS)
def test_sdk_streams_flowise_framing(server, which):
    """On Flowise's framing each SDK streams events whose tokens join to the answer."""
    call = MAKERS[which](server.base_url).predict("f1", "hi there", streaming=True)
    assert streamed_text(stream_events(call)) == ANSWER, call.describe()


@pytest.mark.parametrize("server", ["split"], indirect=True)
@pytest.mark.parametrize("which", MAKERS)
def test_sdk_misreads_split_data_lines(server, which):
    """With the sse-data-split framing (valid SSE) each SDK fails: the fault is one only a real client notices."""
    call = MAKERS[which](server.base_url).predict("f1", "hi there", streaming=True)
    with pytest.raises(ConformanceFailure):
        stream_events(call)


@pytest.mark.parametrize("which", MAKERS)
def test_sdk_sends_the_key_on_the_prediction(server, which):
    """The API key reaches the server as the Bearer token of the prediction."""
    call = MAKERS[which](server.base_url).predict("f1", "hi")
    assert call.outcome == RETURNED and call.value == {"text": ANSWER, "chatId": "c1"}, call.describe()
    assert server.auth == [f"Bearer {KEY}"]


@pytest.mark.parametrize("server", ["stall"], indirect=True)
def test_python_sdk_call_on_a_stalled_stream_ends_at_its_deadline(server):
    """A stream that only sends heartbeats ends the Python SDK call at its deadline, and its thread ends too."""
    sdk = _python_sdk(server.base_url, deadline=1.5)
    started = time.monotonic()
    call = sdk.predict("f1", "hi", streaming=True)
    assert call.outcome == TIMEOUT, call.describe()
    assert time.monotonic() - started < 1.5 + 3.0
    assert not [t for t in threading.enumerate() if t.name.startswith("fc-python-sdk-f1")], "the SDK thread still runs"


@pytest.mark.parametrize("server", ["silent"], indirect=True)
@pytest.mark.parametrize("which", MAKERS)
def test_sdk_call_on_a_silent_server_ends_at_its_deadline(server, which):
    """A server that never answers the prediction ends the SDK call as a timeout, within its deadline."""
    sdk = MAKERS[which](server.base_url, deadline=1.5)
    started = time.monotonic()
    call = sdk.predict("f1", "hi")
    assert call.outcome == TIMEOUT, call.describe()
    assert time.monotonic() - started < 1.5 + 6.0


def test_js_sdk_key_is_passed_by_environment_never_argv(server, monkeypatch):
    """The Node process gets the key in its environment; its command line and its output never hold it."""
    sdk = _js_sdk(server.base_url)
    import subprocess

    seen: list[tuple[list[str], str]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], **kwargs: Any) -> Any:
        proc = real_run(cmd, **kwargs)
        seen.append((cmd, kwargs.get("input") or ""))
        assert kwargs["env"].get(js_sdk.KEY_ENV) == KEY
        return proc

    monkeypatch.setattr(js_sdk.subprocess, "run", spy)
    call = sdk.predict("f1", "hi")
    assert call.outcome == RETURNED, call.describe()
    assert seen and all(KEY not in " ".join(cmd) and KEY not in stdin for cmd, stdin in seen)
    assert KEY not in call.describe()


def test_js_sdk_unavailable_without_node(monkeypatch):
    """No node on PATH: the JS SDK is unavailable, and the reason says so."""
    monkeypatch.setattr(js_sdk.shutil, "which", lambda name: None)
    with pytest.raises(SdkUnavailable, match="Node.js is not installed"):
        js_sdk.JsSdk("http://127.0.0.1:9", KEY, deadline=1.0)


def test_js_sdk_unavailable_without_npm(monkeypatch, tmp_path):
    """No npm on PATH and nothing cached: the install is impossible, and the reason says so."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(js_sdk.shutil, "which", lambda name: None)
    with pytest.raises(SdkUnavailable, match="npm is not installed"):
        js_sdk.ensure_installed()


def test_js_sdk_failed_install_is_a_reason_and_tried_once(monkeypatch, tmp_path):
    """npm failing (offline, no such version) makes the SDK unavailable with npm's last line; it is not retried."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "npm"
    fake.write_text(f"#!/bin/sh\necho x >> {calls}\necho 'npm error code E404' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(js_sdk, "_unavailable", {})
    for _ in range(2):
        with pytest.raises(SdkUnavailable, match="E404"):
            js_sdk.ensure_installed()
    assert Path(calls).read_text().count("x") == 1
    assert not js_sdk.sdk_dir().exists(), "a failed install left a cache directory behind"


def test_python_sdk_unavailable_when_not_installed(monkeypatch):
    """Without the 'clients' extra the Python SDK is unavailable, and the reason names the extra."""
    from importlib import metadata

    from flowise_conformance.clients import python_sdk

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    with pytest.raises(SdkUnavailable, match=r"flowise-conformance\[clients\]"):
        python_sdk.installed_version()


@pytest.mark.parametrize("server", ["missing"], indirect=True)
def test_python_sdk_http_error_is_recorded_with_its_status(server):
    """The HTTPError the Python SDK raises (here for its 404 chatflows-streaming probe) is recorded with the status."""
    call = _python_sdk(server.base_url, deadline=5.0).predict("f1", "hi")
    assert call.outcome == RAISED and call.status == 404, call.describe()
    assert call.error_type == "requests.exceptions.HTTPError"
    assert server.auth == [], "the SDK sent a prediction although its probe failed"
