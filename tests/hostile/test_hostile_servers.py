"""A hostile or hung server never hangs the suite: bounded time, bounded memory, honest failures.

Bound stated: a full default run against each of these servers ends within 150 s, asserted
(measured idle on 2 cores, 2026-11-25: 6-40 s, peak RSS 135-151 MiB; the margin is for CI, where a second xdist
worker runs other full-suite self-tests beside it on the same 2 cores), exits 1, keeps
the test process under 300 MiB RSS (its own VmHWM, children such as Node not counted), and says
what the server did.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import clean_env
from tests.hostile import servers

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
}


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


def run_bounded(base_url: str, tmp_path) -> tuple[int, float, int, str]:
    """Run the CLI; return (exit code, seconds, peak RSS KiB of that process, output)."""
    out_path = tmp_path / "out.txt"
    started = time.monotonic()
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowise_conformance", "run", "--base-url", base_url,
             "--report-dir", str(tmp_path / "reports"), "-q", "-p", "no:xdist"],
            cwd=tmp_path, env=clean_env(FLOWISE_API_KEY="fc-hostile-key-0000"), stdout=out, stderr=subprocess.STDOUT,
        )
        peak = 0
        while time.monotonic() - started < BOUND_S + 60:
            peak = max(peak, _peak_rss_kib(proc.pid))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.2)
        else:
            proc.kill()
            proc.wait()
            pytest.fail(f"the run against {base_url} did not end within {BOUND_S + 60:.0f} s")
    return code, time.monotonic() - started, peak, out_path.read_text(errors="replace")


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_server_run_is_bounded_and_says_why(name, tmp_path):
    """The run ends within BOUND_S with exit 1, under 300 MiB RSS, and its failures name the misbehaviour."""
    behaviour, says = CASES[name]
    with servers.HostileServer(behaviour) as server:
        code, seconds, rss_kib, output = run_bounded(server.base_url, tmp_path)
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
            code, seconds, rss_kib, output = run_bounded(server.base_url, tmp_path)
    finally:
        recorder.close()
    print(f"redirect: exit {code}, {seconds:.1f} s, peak RSS {rss_kib / 1024:.0f} MiB")
    assert code == 1 and seconds < BOUND_S
    assert recorder.hits == 0, f"the redirect target got {recorder.hits} request(s)"
    assert "302" in output
