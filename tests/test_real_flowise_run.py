"""The whole suite against a real Flowise, in one command: exits 0 with the shipped expectations,
and leaves no data dir, process or port behind, also when interrupted (Ctrl-C).

Opt-in (FC_REAL_FLOWISE=1): it installs Flowise into the cache dir if needed (about 3 GB,
minutes) and a full run takes a few minutes. FC_FLOWISE_VERSION picks the version (3.1.4).
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowise_conformance.flowise_launcher import install as install_mod
from flowise_conformance.flowise_launcher import instance
from tests.conftest import clean_env

pytestmark = pytest.mark.skipif(os.environ.get("FC_REAL_FLOWISE") != "1",
                                reason="set FC_REAL_FLOWISE=1 to run the suite against a real Flowise")

VERSION = os.environ.get("FC_FLOWISE_VERSION", install_mod.DEFAULT_VERSION)
STARTED = re.compile(r"starting flowise \S+ on http://127\.0\.0\.1:(\d+) \(data dir ([^)]+)\)")
RUN_BOUND_S = 900


def _processes_of(data_dir: Path) -> set[int]:
    """Pids of live processes of that instance: Flowise (its env names the data dir) and the fake
    OpenAI server (its command line does)."""
    needle = str(data_dir).encode()
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            if needle in (entry / "cmdline").read_bytes() or needle in (entry / "environ").read_bytes():
                found.add(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start_run(tmp_path: Path) -> subprocess.Popen:
    out = (tmp_path / "out.txt").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "flowise_conformance", "run", "--flowise", VERSION,
         "--report-dir", str(tmp_path / "reports")],
        cwd=tmp_path, env=clean_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _started(tmp_path: Path) -> tuple[int, Path]:
    found = STARTED.search((tmp_path / "out.txt").read_text(errors="replace"))
    assert found, (tmp_path / "out.txt").read_text(errors="replace")[-3000:]
    return int(found.group(1)), Path(found.group(2))


def _assert_nothing_left(tmp_path: Path, states_before: set[Path]) -> None:
    port, data_dir = _started(tmp_path)
    assert not data_dir.exists(), f"data dir {data_dir} left behind"
    assert not _processes_of(data_dir), f"processes left: {_processes_of(data_dir)}"
    assert not _port_open(port), f"port {port} still answers"
    assert set(instance.state_dir().glob("flowise-*.json")) <= states_before, "instance state file left"


def test_full_run_against_real_flowise_exits_0_and_leaves_nothing(tmp_path):
    """`run --flowise VERSION` installs if needed, starts, runs everything with the shipped
    expectations, stops: exit 0, and no data dir, process, port or state file is left."""
    states = set(instance.state_dir().glob("flowise-*.json"))
    proc = _start_run(tmp_path)
    try:
        code = proc.wait(RUN_BOUND_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = (tmp_path / "out.txt").read_text(errors="replace")
    assert code == 0, output[-5000:]
    assert "may be left" not in output, "the run reports objects it could not delete"
    _assert_nothing_left(tmp_path, states)


def test_ctrl_c_during_a_real_flowise_run_leaves_nothing(tmp_path):
    """Ctrl-C (SIGINT to the run's process group) while tests run: exit 130 within 60 s, nothing left."""
    states = set(instance.state_dir().glob("flowise-*.json"))
    proc = _start_run(tmp_path)
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if re.search(r"\[\s*\d+/\d+\]", (tmp_path / "out.txt").read_text(errors="replace")):
                break  # tests are running
            time.sleep(0.5)
        assert proc.poll() is None, (tmp_path / "out.txt").read_text(errors="replace")[-3000:]
        time.sleep(5)
        os.killpg(proc.pid, signal.SIGINT)
        interrupted = time.monotonic()
        code = proc.wait(120)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    print(f"Ctrl-C: exit {code} {took:.1f} s after the interrupt")
    assert code == 130, (tmp_path / "out.txt").read_text(errors="replace")[-4000:]
    assert took < 60
    _assert_nothing_left(tmp_path, states)


REMOVED = [  # one of each kind: MUST and SHOULD, hand-written and fuzz
    "tools/test_tools_errors.py::test_delete_unknown_tool_is_404",
    "chatflows/test_chatflows_not_found.py::test_streaming_probe_of_unknown_chatflow_is_404",
    "fuzz/test_fuzz_operations.py::test_operation_conforms[GET /api/v1/chatflows-streaming/{id}]",
    "fuzz/test_fuzz_negative.py::test_invalid_request_is_refused[DELETE /api/v1/chatmessage/{id}]",
]


@pytest.mark.parametrize("test_id", REMOVED)
def test_removing_one_expectation_fails_the_run_naming_the_test(tmp_path, test_id):
    """The shipped file without this one entry: the run of that test exits 1 and names it as failed."""
    from flowise_conformance.paths import expectations_dir, suites_dir

    shipped = (expectations_dir() / f"flowise-{VERSION}.toml").read_text()
    blocks = re.split(r"(?m)^(?=\[\[expect\]\])", shipped)
    kept = [b for b in blocks if f'test = "{test_id}"' not in b]
    assert len(kept) == len(blocks) - 1, f"{test_id} is not listed exactly once"
    edited = tmp_path / "expectations.toml"
    edited.write_text("".join(kept))
    selected = suites_dir() / (test_id if test_id.startswith("fuzz/") else test_id.split("::")[0])
    proc = subprocess.run(
        [sys.executable, "-m", "flowise_conformance", "run", "--flowise", VERSION, "--expectations", str(edited),
         "--report-dir", str(tmp_path / "reports"), "-p", "no:xdist", str(selected)],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=RUN_BOUND_S)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-4000:]
    assert any(line.startswith("failed (") and test_id in line for line in output.splitlines()), output[-4000:]
