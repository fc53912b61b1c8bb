"""Exit codes: 0 for a conforming server, 1 for failures, 2 for user and target mistakes."""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from tests.conftest import clean_env


def test_full_run_against_reference_server_exits_0_and_writes_reports(reference_full_run):
    """`flowise-conformance run` with no base URL runs everything against the embedded server: exit 0."""
    result = reference_full_run
    assert result.code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = result.summary()
    assert summary["counts"]["failed"] == 0 and summary["counts"]["error"] == 0
    assert summary["counts"]["passed"] > 0
    assert list(result.report_dir.glob("*/junit.xml")), "junit.xml missing"


def test_unreachable_base_url_exits_2_within_5_seconds(run_cli):
    """A base URL nobody listens on gives one line naming the URL and exit 2 in under 5 s."""
    started = time.monotonic()
    result = run_cli("run", "--base-url", "http://127.0.0.1:9")
    elapsed = time.monotonic() - started
    assert result.code == 2
    assert elapsed < 5, f"took {elapsed:.1f}s"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "http://127.0.0.1:9" in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_silent_server_exits_2_within_5_seconds(run_cli):
    """A server that accepts connections but never answers is given up on within 5 s (exit 2)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        started = time.monotonic()
        result = run_cli("run", "--base-url", f"http://127.0.0.1:{listener.getsockname()[1]}")
        assert result.code == 2 and time.monotonic() - started < 5
        assert "Traceback" not in result.stderr
    finally:
        listener.close()


class _NotFlowise(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"<html>hello</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # noqa: ANN002
        pass


def test_non_flowise_url_exits_2_with_a_clear_line(run_cli):
    """A URL that answers HTTP but not 'pong' on /api/v1/ping is refused: exit 2, one line."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFlowise)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = run_cli("run", "--base-url", f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert result.code == 2
    assert "not a Flowise API" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("run", "--base-url", "not a url"), "base URL"),
        (("run", "--target", "/nonexistent/target.toml"), "not found"),
        (("serve", "--fault", "no-such-fault"), "unknown fault"),
        (("run", "--base-url", "http://127.0.0.1:9", "--reference-fault", "no-413"), "embedded server only"),
    ],
)
def test_user_mistakes_exit_2_without_traceback(run_cli, args, fragment):
    """Bad options and bad config give one clear line and exit 2, never a traceback."""
    result = run_cli(*args, timeout=30)
    assert result.code == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_list_faults_prints_one_line_each(run_cli):
    """`serve --list-faults` prints every fault with its one-line description."""
    from flowise_conformance.reference.faults import all_faults

    result = run_cli("serve", "--list-faults", report=False)
    assert result.code == 0
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert names == [f.name for f in all_faults()]


def test_env_vars_select_the_target(run_cli):
    """FLOWISE_BASE_URL alone points the run at a server (here: nobody, so exit 2 naming it)."""
    result = run_cli("run", env=clean_env(FLOWISE_BASE_URL="http://127.0.0.1:9"))
    assert result.code == 2 and "127.0.0.1:9" in result.stderr


RIGHT_KEY = "fc-right-key-3a9d51c7e2"
WRONG_KEY = "fc-wrong-key-8b04f6d1a9"


@pytest.mark.parametrize("given", [WRONG_KEY, None], ids=["wrong-key", "no-key"])
def test_refused_api_key_exits_2_within_5_seconds_before_any_test(run_cli, given):
    """A key the target refuses (401/403 on a protected read) gives exit 2 and one line within 5 s, before any test."""
    from flowise_conformance.reference.app import ServerSettings
    from flowise_conformance.reference.server import ThreadedServer

    env = clean_env(**({"FLOWISE_API_KEY": given} if given else {}))
    with ThreadedServer(ServerSettings(api_key=RIGHT_KEY)) as server:
        started = time.monotonic()
        result = run_cli("run", "--base-url", server.base_url, env=env, timeout=30)
        elapsed = time.monotonic() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    output = result.stdout + result.stderr
    assert result.code == 2 and elapsed < 5 and len(lines) == 1 and "401" in lines[0], (
        f"Expected: exit 2 within 5 s, one line naming the 401\n"
        f"Received: exit {result.code} after {elapsed:.1f} s\n{output[-3000:]}")
    assert "test session starts" not in output and not list(result.report_dir.glob("*/junit.xml")), output[-2000:]
    assert (given or RIGHT_KEY) not in output and RIGHT_KEY not in output
