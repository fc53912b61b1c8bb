"""Hypothesis's storage lives in the user's cache, seeded so a cold run stays small."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flowise_conformance import hypothesis_cache
from flowise_conformance.paths import suites_dir
from tests.conftest import clean_env

FUZZ = suites_dir() / "fuzz"


def test_seeded_utf8_table_is_the_one_hypothesis_computes(tmp_path):
    """Our utf-8 table equals Hypothesis's own, computed from scratch in an empty storage dir."""
    script = (
        "import json; from hypothesis.internal.charmap import intervals_from_codec;"
        "enc, non = intervals_from_codec('utf-8');"
        "print(json.dumps([[list(i) for i in enc.intervals], [list(i) for i in non.intervals]]))"
    )
    env = clean_env(HYPOTHESIS_STORAGE_DIRECTORY=str(tmp_path / "cold"))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == hypothesis_cache.UTF8_TABLE


def test_prepare_points_hypothesis_at_the_cache_and_seeds_the_table(tmp_path):
    """Without a user choice, storage goes to $XDG_CACHE_HOME/flowise-conformance/hypothesis."""
    script = ("from flowise_conformance import hypothesis_cache as h; print(h.prepare());"
              "from hypothesis.internal.charmap import charmap_file; print(charmap_file('codec-v2-utf-8'))")
    env = clean_env(XDG_CACHE_HOME=str(tmp_path))
    env.pop(hypothesis_cache.ENV_STORAGE, None)  # set by this very test process's plugin
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    storage, table = out.stdout.split()
    assert storage == str(tmp_path / "flowise-conformance" / "hypothesis")
    assert Path(table).is_file() and Path(table).is_relative_to(storage)


def test_a_storage_dir_chosen_by_the_user_is_kept(monkeypatch, tmp_path):
    """HYPOTHESIS_STORAGE_DIRECTORY set by the user wins, and nothing is written into it."""
    monkeypatch.setenv(hypothesis_cache.ENV_STORAGE, str(tmp_path / "mine"))
    assert hypothesis_cache.prepare() is None
    assert not (tmp_path / "mine").exists()


def test_a_fuzz_run_writes_no_hypothesis_dir_into_the_working_directory(run_cli, tmp_path):
    """The run's working directory is the user's: no .hypothesis/ appears there."""
    node = "test_fuzz_operations.py::test_operation_conforms[GET /api/v1/ping]"
    result = run_cli("run", f"{FUZZ}/{node}", "--fuzz-examples", "1", timeout=300)
    assert result.code == 0, (result.stdout[-2000:], result.stderr[-1500:])
    assert not (tmp_path / "cwd" / ".hypothesis").exists()
