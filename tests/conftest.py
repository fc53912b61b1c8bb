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
