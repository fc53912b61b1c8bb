"""A hostile or hung server never hangs the suite: bounded time, bounded memory, honest failures.

Bound stated: a full run against each of these servers (with the default timeouts for a hung server, with
short ones for the rest) ends within 150 s, asserted
(measured idle on 2 cores, 2026-11-25: 6-40 s, peak RSS 135-151 MiB; the margin is for CI, where a second xdist
worker runs other full-suite self-tests beside it on the same 2 cores), exits 1, keeps
the test process under 300 MiB RSS (its own VmHWM, children such as Node not counted), and says
what the server did.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from flowise_conformance.outcomes import ExitCode
from tests.conftest import clean_env
from tests.hostile import servers
from tests.safety_support import cli_env, finish, signal_group, start_cli, wait_for

BOUND_S = 150.0
RSS_LIMIT_KIB = 300 * 1024

CASES = {
    "silent": (servers.silent, ("no bytes of the answer",)),
    "trickle": (servers.trickle, ("took longer than",)),
    "reset": (servers.reset, ("closed the connection", "connection for")),
    "garbage": (servers.garbage, ("not valid HTTP",)),
    "huge": (servers.huge, ("larger than",)),
    # whichever bound the stream reaches first: the 16 MiB body cap or the request deadline
    "endless_sse": (servers.endless_sse, ("larger than", "took longer than")),
    # 13 KB on the wire, 1 GiB after two gzip layers: refused at the first layer that passes the cap
    "gzip_gzip": (servers.gzip_gzip_bomb, ("larger than 16777216 bytes after undoing gzip (layer 2",)),
}


SHORT = {"connect": 2.0, "read": 2.0, "request": 3.0, "stream_total": 4.0, "stream_event": 2.0}


def short_target(tmp_path, base_url: str, **timeouts: float) -> str:
    """A target file for `base_url` with short timeouts (SHORT, overridden by `timeouts`); returns its path."""
    chosen = {**SHORT, **timeouts}
    path = tmp_path / "target.toml"
    path.write_text(f'base_url = "{base_url}"\napi_key_env = "FLOWISE_API_KEY"\n[timeouts]\n'
                    + "".join(f"{name} = {value}\n" for name, value in chosen.items()))
    return str(path)


def _peak_rss_kib(pid: int) -> int:
    """VmHWM of one process (its own peak RSS), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_bounded(base_url: str | None, tmp_path, *args: str, bound_s: float = BOUND_S,
                key: str = "fc-hostile-key-0000") -> tuple[int, float, int, str]:
    """Run the CLI; return (exit code, seconds, peak RSS KiB of that process, output).

    With ``base_url`` the run targets it; else ``args`` name the target (``--target FILE``).
    """
    out_path = tmp_path / "out.txt"
    target = ["--base-url", base_url] if base_url else []
    started = time.monotonic()
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowise_conformance", "run", *target,
             "--report-dir", str(tmp_path / "reports"), "-q", "-p", "no:xdist", *args],
            cwd=tmp_path, env=clean_env(FLOWISE_API_KEY=key), stdout=out, stderr=subprocess.STDOUT,
        )
        peak = 0
        while time.monotonic() - started < bound_s + 60:
            peak = max(peak, _peak_rss_kib(proc.pid))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.2)
        else:
            proc.kill()
            proc.wait()
            pytest.fail(f"the run against {base_url or args} did not end within {bound_s + 60:.0f} s")
    return code, time.monotonic() - started, peak, out_path.read_text(errors="replace")


# a hung server with the built-in default timeouts: the defaults themselves are bounded; the other cases use
# SHORT timeouts (the same code paths, every wait scaled down), which keeps the self-tests fast
DEFAULT_TIMEOUT_CASES = {"silent"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_server_run_is_bounded_and_says_why(name, tmp_path):
    """The run ends within BOUND_S with exit 1, under 300 MiB RSS, and its failures name the misbehaviour."""
    behaviour, says = CASES[name]
    with servers.HostileServer(behaviour) as server:
        if name in DEFAULT_TIMEOUT_CASES:
            code, seconds, rss_kib, output = run_bounded(server.base_url, tmp_path)
        else:
            code, seconds, rss_kib, output = run_bounded(None, tmp_path, "--target",
                                                         short_target(tmp_path, server.base_url))
    print(f"{name}: exit {code}, {seconds:.1f} s, peak RSS {rss_kib / 1024:.0f} MiB")
    assert code == 1, output[-3000:]
    assert seconds < BOUND_S, f"{name} took {seconds:.1f} s"
    assert rss_kib < RSS_LIMIT_KIB, f"{name}: peak RSS {rss_kib / 1024:.0f} MiB"
    assert any(phrase in output for phrase in says), f"no failure says any of {says!r}:\n{output[-3000:]}"
    assert "fc-hostile-key-0000" not in output


def test_redirect_off_the_base_url_is_never_followed(tmp_path):
    """A server that redirects to another host fails the tests, and the other host gets no request."""
    recorder = servers.Recorder()
    try:
        with servers.HostileServer(servers.silent, redirect_to=recorder.base_url) as server:
            code, seconds, rss_kib, output = run_bounded(None, tmp_path, "--target",
                                                         short_target(tmp_path, server.base_url))
    finally:
        recorder.close()
    print(f"redirect: exit {code}, {seconds:.1f} s, peak RSS {rss_kib / 1024:.0f} MiB")
    assert code == 1 and seconds < BOUND_S
    assert recorder.hits == 0, f"the redirect target got {recorder.hits} request(s)"
    assert "302" in output


# ---------------------------------------------------------------- one bound per case (issue 16, items 1-5)
# Short target timeouts (SHORT) keep these fast; each bound below is those timeouts plus a margin
# for a loaded CI machine. Measured on this 2-core machine (2026-12-02) before and after: see each test.

KEY = "fc-hostile-key-0000"
LIST_GET_S = 60.0


def _posts_a_create(scope: dict) -> bool:
    return scope["method"] == "POST" and scope["path"].rstrip("/") == "/api/v1/tools"


def _streams_a_prediction(scope: dict) -> bool:
    return scope["method"] == "POST" and scope["path"].startswith("/api/v1/prediction/")


def _check(name: str, code: int, seconds: float, rss_kib: int, output: str, *, exit_code: int, bound_s: float,
           says: str) -> None:
    print(f"{name}: exit {code}, {seconds:.1f} s, peak RSS {rss_kib / 1024:.0f} MiB")
    assert code == exit_code, f"Expected exit {exit_code}\nReceived exit {code}:\n{output[-3000:]}"
    assert seconds < bound_s, f"Expected the run to end within {bound_s:.0f} s\nReceived {seconds:.1f} s"
    assert rss_kib < RSS_LIMIT_KIB, f"Expected peak RSS under 300 MiB\nReceived {rss_kib / 1024:.0f} MiB"
    assert says in output, f"Expected the output to say {says!r}\nReceived:\n{output[-3000:]}"
    assert KEY not in output


def test_doubly_gzipped_ping_fails_the_preflight_without_inflating_it(tmp_path):
    """A ping answered with 1 GiB gzipped twice: exit 2 within the probe's bound, under 300 MiB, saying the layer.

    Before (unbounded httpx decoding): exit 2 after 9.3 s, peak RSS 2096 MiB.
    """
    with servers.HostileServer(servers.silent, ping=servers.gzip_gzip_bomb) as server:
        result = run_bounded(server.base_url, tmp_path, bound_s=20)
    _check("ping gzip, gzip", *result, exit_code=2, bound_s=20,
           says="larger than 1048576 bytes after undoing gzip (layer 2 of Content-Encoding: gzip, gzip)")


def test_fuzzed_create_answered_with_a_gzip_bomb_is_refused_within_memory(tmp_path):
    """The fuzz path (schemathesis over requests): a create answered with 1 GiB in one gzip layer fails, under 300 MiB.

    Before (requests' response.content): exit 1 after 178 s, peak RSS 3205 MiB (MemoryError at a 3.5 GB cap).
    """
    servers.gzip_bomb(1)  # built before the server starts answering
    with servers.HostileReference(_posts_a_create, servers.asgi_bomb(1), KEY) as server:
        result = run_bounded(None, tmp_path, "--target", short_target(tmp_path, server.base_url),
                             "-k", "test_fuzz_operations", "--fuzz-operation", "createTool", bound_s=60)
    _check("fuzz create gzip bomb", *result, exit_code=1, bound_s=60,
           says="larger than 16777216 bytes after undoing gzip (layer 1")


def test_fuzzed_create_trickled_ends_at_the_request_deadline(tmp_path):
    """A create answered one byte per second fails at timeouts.request (3 s), not at the server's pace.

    Before (requests read 64 KiB per read): 120 s per create, the fuzz item 240 s.
    """
    with servers.HostileReference(_posts_a_create, servers.asgi_trickle_json(1.0), KEY) as server:
        result = run_bounded(None, tmp_path, "--target", short_target(tmp_path, server.base_url),
                             "-k", "test_fuzz_operations", "--fuzz-operation", "createTool", bound_s=60)
    _check("fuzz create trickle", *result, exit_code=1, bound_s=60, says="took longer than 3 s")


def _fuzz_lists_tools(scope: dict) -> bool:
    """GET /tools sent by schemathesis (the fuzz item), not by the run's own start-up listing."""
    agent = dict(scope["headers"]).get(b"user-agent", b"")
    return scope["method"] == "GET" and scope["path"].rstrip("/") == "/api/v1/tools" and b"schemathesis" in agent


def test_ctrl_c_during_a_fuzz_item_exits_130_with_interrupted_reports(tmp_path):
    """SIGINT while a fuzz item waits for the server: exit 130 within 10 s and summary.json says interrupted.

    Before: Hypothesis recorded the interrupt as the item's failure; exit 1, "interrupted": false.
    """
    run_id = "20261202-000000-f0c0c1"
    with servers.HostileReference(_fuzz_lists_tools, servers.asgi_stall, KEY) as server:
        proc = start_cli(["run", "--target", short_target(tmp_path, server.base_url, read=20.0, request=20.0),
                          "--report-dir", str(tmp_path / "reports"), "--run-id", run_id, "-p", "no:xdist",
                          "-k", "test_fuzz_operations", "--fuzz-operation", "listTools"], tmp_path / "cwd",
                         cli_env(KEY))
        try:
            wait_for(lambda: server.hits > 0 or proc.poll() is not None, 90, "a fuzz request held by the server")
        except AssertionError:
            signal_group(proc, signal.SIGKILL)
            raise
        assert proc.poll() is None, f"the run ended before it could be interrupted:\n{proc.communicate()[0][-3000:]}"
        time.sleep(0.5)
        sent = time.monotonic()
        signal_group(proc, signal.SIGINT)
        code, out, err = finish(proc, timeout=60)
        took = time.monotonic() - sent
    summary = json.loads((tmp_path / "reports" / run_id / "summary.json").read_text())
    print(f"Ctrl-C in a fuzz item: exit {code} after {took:.1f} s, interrupted {summary['interrupted']}, "
          f"outcomes {[t['outcome'] for t in summary['tests']]}")
    assert code == ExitCode.INTERRUPTED, f"Expected exit 130\nReceived exit {code}:\n{out[-3000:]}\n{err[-3000:]}"
    assert took < 10, f"Expected the run to stop within 10 s of SIGINT\nReceived {took:.1f} s"
    assert summary["interrupted"] is True, f"Expected \"interrupted\": true\nReceived {summary['interrupted']!r}"
    assert not [t for t in summary["tests"] if t["outcome"] == "failed"], (
        f"Expected no test failed by the interrupt\nReceived {summary['tests']}")
    stopped = [t for t in summary["tests"] if t["outcome"] == "passed"]
    assert not stopped, f"Expected the item the interrupt stopped not to count as passed\nReceived {stopped}"


def test_one_stalling_endpoint_costs_the_run_one_lost_time_budget(tmp_path):
    """GET /variables stalls past timeouts.read, with an answered one between stalls (as in a full run, where other
    requests come between them, so the two-in-a-row rule never fires): the run loses one lost_budget (4 x 2 s)
    to it, not one read timeout per request, and the tests refused after that say why.

    Before (the issue, a full run with default timeouts): 277 s, 18 stalls x 15 s.
    """
    gate = servers.InventoryGate()
    last = {"stalled": False}

    def stalls(scope: dict) -> bool:
        spared = gate.spares(scope["method"], scope["path"])  # called for every request: it closes the gate
        if spared or scope["method"] != "GET" or scope["path"].rstrip("/") != "/api/v1/variables":
            return False
        last["stalled"] = not last["stalled"]
        return last["stalled"]

    with servers.HostileReference(stalls, servers.asgi_stall, KEY) as server:
        result = run_bounded(None, tmp_path, "--target", short_target(tmp_path, server.base_url), "-rfE",
                             "-k", "variables_lifecycle or variables_listing", bound_s=LIST_GET_S)
        hits = server.hits
    _check("one stalling endpoint", *result, exit_code=1, bound_s=LIST_GET_S, says="its budget is 8 s")
    most = 8 // 2 + 1  # lost_budget / timeouts.read, and the one that passes it
    assert hits <= most, f"Expected at most {most} stalled requests (one budget)\nReceived {hits}"


def _run_disconnect_test(tmp_path, behaviour: servers.AsgiBehaviour, bound_s: float) -> tuple[int, float, int, str]:
    with servers.HostileReference(_streams_a_prediction, behaviour, KEY) as server:
        return run_bounded(None, tmp_path, "--target", short_target(tmp_path, server.base_url), "-rf",
                           "-k", "test_disconnect_mid_stream_leaves_the_server_healthy", bound_s=bound_s)


STREAM_S = 30.0  # start-up (~8 s on 2 busy cores) + stream_total (4 s) + a margin for CI


def test_endless_sse_comments_end_at_the_stream_deadline(tmp_path):
    """A stream of comments that never dispatches an event ends at stream_total (4 s), not at the server's pace.

    Before (the issue): 90-95 s, until the server's own cap.
    """
    result = _run_disconnect_test(tmp_path, servers.asgi_endless_comments, STREAM_S)
    _check("endless SSE comments", *result, exit_code=1, bound_s=STREAM_S, says="total_timeout")


def test_huge_first_sse_line_is_not_held_in_memory(tmp_path):
    """A 400 MiB first `data:` line is dropped past max_line while read, not buffered whole: under 300 MiB RSS.

    Before (the issue): the line buffered whole, 1.26 GiB.
    """
    result = _run_disconnect_test(tmp_path, servers.asgi_huge_first_line(400 << 20), STREAM_S)
    _check("400 MiB SSE line", *result, exit_code=1, bound_s=STREAM_S, says="The stream sent no first event")


def test_streaming_request_answered_with_trickled_json_ends_at_the_deadline(tmp_path):
    """streaming: true answered 200 application/json, one byte a second (within stream_event, 2 s, so no read times
    out): ended by the target's total deadlines, not at the server's pace.

    Before (the issue, one byte every 2 s with default timeouts): 60 s per test.
    """
    result = _run_disconnect_test(tmp_path, servers.asgi_trickle_json(1.0), STREAM_S)
    _check("trickled JSON to a stream", *result, exit_code=1, bound_s=STREAM_S, says="FAILED")
