"""What the suites collect: every suite test checks the server; checks of the spec itself live here.

The suites are collected as ``flowise-conformance run --collect-only`` collects them (the
installed suites, against the embedded server), with a one-hook plugin that writes each item's
fixture closure (``item.fixturenames``) to a file.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env

# Every fixture that reaches the server (api, anon, tracker, fuzz_runtime, so fuzz_call and the
# stateful scenarios' autouse binding) depends on the plugin's `target` (pytest_plugin.py), so a
# test that can send a request has it in its fixture closure.
TARGET_FIXTURE = "target"

_DUMP_PLUGIN = '''
import json, os

def _marker(item, name):
    found = item.get_closest_marker(name)
    return None if found is None else {"args": list(found.args), "kwargs": dict(found.kwargs)}

def pytest_collection_finish(session):
    with open(os.environ["FC_SELFTEST_ITEMS"], "w", encoding="utf-8") as fh:
        json.dump({item.nodeid: sorted(item.fixturenames) for item in session.items}, fh)
    with open(os.environ["FC_SELFTEST_ITEMS"] + ".markers", "w", encoding="utf-8") as fh:
        json.dump({item.nodeid: {"source": _marker(item, "source"), "level": _marker(item, "level")}
                   for item in session.items}, fh)
'''


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole default collection, written once: items.json (fixture closures) and items.json.markers."""
    where = tmp_path_factory.mktemp("collect")
    (where / "fc_selftest_items.py").write_text(_DUMP_PLUGIN, encoding="utf-8")
    out = where / "items.json"
    env = clean_env(PYTHONPATH=str(where), FC_SELFTEST_ITEMS=str(out))
    proc = subprocess.run([sys.executable, "-m", "flowise_conformance", "run", "--collect-only", "-q",
                           "-p", "fc_selftest_items", "--report-dir", str(where / "reports")],
                          cwd=where, env=env, capture_output=True, text=True, timeout=180)
    assert out.exists(), f"Expected: the collected items written\nReceived: exit {proc.returncode}\n" \
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return out


@pytest.fixture(scope="module")
def collected(collection: Path) -> dict[str, list[str]]:
    """Suite test id -> its fixture closure."""
    return json.loads(collection.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def collected_markers(collection: Path) -> dict[str, dict]:
    """Suite test id -> its source and level markers."""
    return json.loads(Path(f"{collection}.markers").read_text(encoding="utf-8"))


# Where every test already has its source (issue 19 is landing suite by suite; a directory on this
# list stays complete). The collection error for a test without one comes when all are in.
SOURCED_SUITES = ("chatmessage/", "feedback/", "prediction/", "clients/", "fuzz/", "document_store/")


def test_every_source_marker_is_followable_and_fits_its_level(collected_markers: dict[str, dict]):
    """A source that names no reference operation, schema, sentence or Flowise file (or a 'none' above MAY)
    is not a source a reader can check."""
    from flowise_conformance import sources

    problems = []
    for test_id, markers in sorted(collected_markers.items()):
        if markers["source"] is None:
            continue
        try:
            found = sources.parse(tuple(markers["source"]["args"]), markers["source"]["kwargs"])
        except ValueError as exc:
            problems.append(f"{test_id}: {exc}")
            continue
        level = (markers["level"] or {"args": ["?"]})["args"][0]
        problem = sources.level_problem(found, level)
        if problem:
            problems.append(f"{test_id}: {problem}")
    assert problems == [], f"Expected: every source marker valid\nReceived: {len(problems)} problems:\n" + \
        "\n".join(problems[:30])


def test_the_sourced_suites_have_a_source_on_every_test(collected_markers: dict[str, dict]):
    """Once a suite's tests have their sources, a new test there without one is caught."""
    missing = sorted(test_id for test_id, markers in collected_markers.items()
                     if test_id.split("suites/", 1)[-1].startswith(SOURCED_SUITES) and markers["source"] is None)
    sourced = [t for t in collected_markers if t.split("suites/", 1)[-1].startswith(SOURCED_SUITES)]
    assert len(sourced) > 50, f"Expected: the sourced suites collected\nReceived: {len(sourced)} items"
    assert missing == [], f"Expected: a source on every test of {SOURCED_SUITES}\nReceived: none on {missing}"


def test_every_suite_test_uses_the_target(collected: dict[str, list[str]]):
    """A suite test that never reaches the server (a check of the spec, of the harness) would give every
    server a free pass: it belongs to tests/."""
    offenders = sorted(test_id for test_id, fixtures in collected.items() if TARGET_FIXTURE not in fixtures)
    assert len(collected) > 100, f"Expected: the whole suite collected\nReceived: {len(collected)} items"
    assert offenders == [], (f"Expected: every suite test uses the {TARGET_FIXTURE!r} fixture (api, anon, tracker, "
                             f"fuzz_call...)\nReceived: {len(offenders)} without it: {offenders}")


def test_the_auth_matrix_has_an_item_for_every_protected_and_public_operation(collected: dict[str, list[str]]):
    """The auth matrix is generated from the spec's security requirements: a side it missed would check nothing."""
    from flowise_conformance.fuzz.operations import operations

    def cases(test: str) -> set[str]:
        prefix = f"contracts/test_auth_matrix.py::{test}["
        return {t[len(prefix):-1] for t in collected if t.startswith(prefix)}

    public = {op.operation_id for op in operations() if op.public}
    protected = {op.operation_id for op in operations()} - public
    got = (cases("test_protected_operation_without_key_is_401"), cases("test_public_operation_works_without_key"))
    assert public and protected and got == (protected, public), (
        f"Expected: matrix items for the {len(protected)} protected and {len(public)} public operations\n"
        f"Received: protected {sorted(got[0])}, public {sorted(got[1])}")
