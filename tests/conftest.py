"""Helpers for the self-tests: run the CLI as a user would, in a subprocess."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_PYCACHE_ENV = "PYTHONPYCACHEPREFIX"
_PYCACHE_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Every CLI run these tests start reuses one bytecode cache (pytest's assertion rewrites included).

    With PYTHONDONTWRITEBYTECODE set (as on CI machines), each of the few hundred subprocess runs compiled
    and assert-rewrote about 280 modules again: about half of its CPU time. The cache lives in a temporary
    directory of this session (xdist workers and the CLI runs inherit the environment), never in the project.
    """
    if hasattr(config, "workerinput"):
        return
    cache = tempfile.mkdtemp(prefix="fc-selftest-pycache-")
    config.stash[_PYCACHE_KEY] = cache
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ[_PYCACHE_ENV] = cache


def pytest_unconfigure(config: pytest.Config) -> None:
    cache = config.stash.get(_PYCACHE_KEY, None)
    if cache:
        shutil.rmtree(cache, ignore_errors=True)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    report_dir: Path

    def summary(self) -> dict[str, Any]:
        found = sorted(self.report_dir.glob("*/summary.json"))
        assert found, f"no summary.json under {self.report_dir}\n{self.stdout[-2000:]}\n{self.stderr[-2000:]}"
        return json.loads(found[-1].read_text())

    def outcomes(self) -> dict[str, str]:
        return {t["id"]: t["outcome"] for t in self.summary()["tests"]}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWISE_", "FC_", "PYTEST_"))}
    env.update(extra)
    return env


@pytest.fixture
def run_cli(tmp_path: Path):  # noqa: ANN201
    """Runs `flowise-conformance ARGS` from an empty directory; reports go to tmp_path/reports."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300, report: bool = True) -> CliResult:
        report_dir = tmp_path / "reports"
        cmd = [sys.executable, "-m", "flowise_conformance", *args]
        if report and args and args[0] == "run":
            cmd += ["--report-dir", str(report_dir)]
        work = tmp_path / "cwd"
        work.mkdir(exist_ok=True)
        proc = subprocess.run(cmd, cwd=work, env=env or clean_env(), capture_output=True, text=True, timeout=timeout)
        return CliResult(proc.returncode, proc.stdout, proc.stderr, report_dir)

    return run


@pytest.fixture(scope="session")
def reference_full_run(tmp_path_factory: pytest.TempPathFactory) -> CliResult:
    """One full default run against the embedded reference server (the README's main job), for the self-tests
    that only read its results: it runs once per session, on whichever xdist worker asks first; the others
    wait for it (a full run is about a minute of both cores, so running it once per reader doubled that).
    """
    import fcntl  # POSIX only, as the suite's signal handling is; a lock file instead of a new dependency

    under_xdist = os.environ.get("PYTEST_XDIST_WORKER") is not None
    shared = tmp_path_factory.getbasetemp().parent if under_xdist else tmp_path_factory.getbasetemp()
    where = shared / "reference-full-run"
    with open(shared / "reference-full-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = where / "result.json"
        if not done.exists():
            (where / "cwd").mkdir(parents=True, exist_ok=True)
            proc = subprocess.run([sys.executable, "-m", "flowise_conformance", "run",
                                   "--report-dir", str(where / "reports")],
                                  cwd=where / "cwd", env=clean_env(), capture_output=True, text=True, timeout=900)
            done.write_text(json.dumps([proc.returncode, proc.stdout, proc.stderr]))
        code, stdout, stderr = json.loads(done.read_text())
    return CliResult(code, stdout, stderr, where / "reports")
