"""Only the target: the run talks to the base URL's host and port alone; redirects elsewhere are not followed.

The redirect target is another port on the same loopback host (127.0.0.1), the case a
"same host" redirect rule lets through; it counts every TCP connection it accepts.
"""
from __future__ import annotations

import socket
import threading

import httpx
import pytest

from flowise_conformance.client import FlowiseClient
from flowise_conformance.config import Target
from flowise_conformance.plugins.safety import guard as guard_mod
from flowise_conformance.plugins.safety import node, transport
from tests.safety_support import RefServer, cli_env, finish, start_cli

KEY = "fc-target-only-key-61f0a9"


class ConnectionCounter:
    """A loopback listener that accepts and counts connections, and answers nothing."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def __enter__(self) -> "ConnectionCounter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def test_full_run_against_a_redirecting_server_sends_nothing_to_the_redirect_target(tmp_path):
    """Every answer but ping (and the start-of-run inventory, else the run stops at once) redirects (307) to
    another loopback port: the run fails, that port gets 0 connections."""
    with ConnectionCounter() as elsewhere, RefServer(tmp_path, KEY) as server:
        server.redirect_to = elsewhere.base_url
        server.spare_inventory = True
        proc = start_cli(["run", "--base-url", server.base_url, "--report-dir", str(tmp_path / "reports"),
                          "-n", "2"], tmp_path / "cwd", cli_env(KEY))
        code, out, err = finish(proc, timeout=1500)
        redirected = len(server.requests)
    print(f"redirects: exit {code}; {redirected} requests answered 307 to {elsewhere.base_url}; "
          f"connections there: {elsewhere.connections}")
    assert code == 1, out[-3000:] + err[-2000:]
    assert redirected > 50, "few requests were redirected: the test proves little"
    assert "307" in out
    assert elsewhere.connections == 0


@pytest.fixture
def guard_on(tmp_path):  # noqa: ANN201
    """The safety guard of a suites session, installed in this process for one test."""
    def install(base_url: str, **kw: object) -> guard_mod.Guard:
        active = guard_mod.Guard(base_url, **kw)  # type: ignore[arg-type]
        guard_mod.set_guard(active)
        transport.install_patches()
        return active

    yield install
    guard_mod.set_guard(None)
    transport.remove_patches()


def test_our_client_never_follows_a_redirect(tmp_path):
    """FlowiseClient answers the 307 itself; the Location is not requested."""
    with ConnectionCounter() as elsewhere, RefServer(tmp_path, KEY) as server:
        server.redirect_to = elsewhere.base_url
        client = FlowiseClient(Target(base_url=server.base_url, api_key=KEY))
        try:
            response = client.get("chatflows")
        finally:
            client.close()
    assert response.status_code == 307 and response.headers["location"].startswith(elsewhere.base_url)
    assert elsewhere.connections == 0


def test_guard_refuses_a_redirect_that_another_library_would_follow(tmp_path, guard_on):
    """httpx and requests clients told to follow redirects: the hop to another port is refused unsent."""
    import requests

    with ConnectionCounter() as elsewhere, RefServer(tmp_path, KEY) as server:
        server.redirect_to = elsewhere.base_url
        guard = guard_on(server.base_url)
        with httpx.Client(follow_redirects=True, trust_env=False, timeout=5) as http:
            with pytest.raises(guard_mod.SafetyRefused, match="to the target"):
                http.get(f"{server.base_url}/api/v1/chatflows")
        session = requests.Session()
        session.trust_env = False
        with pytest.raises(guard_mod.SafetyRefused, match="to the target"):
            session.get(f"{server.base_url}/api/v1/tools", timeout=5)
        with pytest.raises(guard_mod.SafetyRefused):
            session.get(f"{elsewhere.base_url}/api/v1/ping", timeout=5)
        found = list(guard.violations)
    assert elsewhere.connections == 0
    assert len(found) == 3, found


def test_guard_lets_an_allowed_loopback_origin_through(tmp_path, guard_on):
    """A loopback server the run starts itself is reachable once given to allow_origin()."""
    with RefServer(tmp_path, KEY) as target, RefServer(tmp_path, KEY) as other:
        guard_on(target.base_url)
        with httpx.Client(trust_env=False, timeout=5) as http:
            with pytest.raises(guard_mod.SafetyRefused):
                http.get(f"{other.base_url}/api/v1/ping")
            guard_mod.allow_origin(other.base_url)
            assert http.get(f"{other.base_url}/api/v1/ping").status_code == 200
    assert other.requests == [("GET", "/api/v1/ping")]


@pytest.mark.skipif(__import__("shutil").which("node") is None, reason="needs Node.js (the JS SDK's runtime)")
def test_node_processes_of_the_run_do_not_follow_redirects_either(tmp_path):
    """Node's fetch follows redirects by default; with the run's preloaded guard the hop never happens."""
    import json
    import os
    import subprocess

    script = "fetch(process.argv[1]).then(r => console.log(r.status)).catch(e => console.log('refused', e.message))"
    with ConnectionCounter() as elsewhere, RefServer(tmp_path, KEY) as server:
        server.redirect_to = elsewhere.base_url
        url = f"{server.base_url}/api/v1/chatflows"
        plain = subprocess.run(["node", "-e", script, url], capture_output=True, text=True, timeout=30,
                               env={**os.environ, "NODE_OPTIONS": ""})
        followed = elsewhere.connections
        guard_file = tmp_path / "guard.json"
        guard_file.write_text(json.dumps({"origins": [server.base_url], "readOnly": False, "foreign": []}))
        env = {**os.environ, "NODE_OPTIONS": f'--require "{node.NODE_GUARD}"', node.ENV_NODE_GUARD: str(guard_file)}
        guarded = subprocess.run(["node", "-e", script, url], capture_output=True, text=True, timeout=30, env=env)
        direct = subprocess.run(["node", "-e", script, f"{elsewhere.base_url}/x"], capture_output=True, text=True,
                                timeout=30, env=env)
        after = elsewhere.connections
    print(f"node: plain fetch -> {plain.stdout.strip()!r} ({followed} connection(s) to the redirect target); "
          f"guarded -> {guarded.stdout.strip()!r}, direct -> {direct.stdout.strip()[:60]!r}")
    assert followed >= 1, "plain Node fetch did not follow the redirect: the test proves nothing"
    assert guarded.stdout.strip() == "307", guarded.stdout + guarded.stderr
    assert direct.stdout.startswith("refused"), direct.stdout + direct.stderr
    assert after == followed, "the guarded Node process reached the redirect target"
