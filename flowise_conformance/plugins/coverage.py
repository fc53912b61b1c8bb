"""Which operations of the spec a run exercised, and how they answered.

Every request a test sends during its call phase is matched to the spec's path templates
(``spec_model.match``) and counted by source and status:
    hand  requests of the hand-written suites (the session clients' transcripts; requests
          made by fixtures in setup and teardown do not count)
    fuzz  requests of the fuzz suite (its after-call hook calls ``record``)

Each process writes ``<run dir>/coverage/<worker>.json``; the controller merges them into
``<run dir>/coverage.json``:

    {"operations": {"<operationId>": {"label": "GET /api/v1/...",
                                      "hand": {"200": 3, "404": 1}, "fuzz": {...}}},
     "exercised": [...], "not_exercised": [...]}

An operation counts as exercised when some test got a 2xx answer from it: a request that only
ever met 401, 404 or a missing route does not show that the operation works.
The terminal's line counts the operations of the selected tests' resources (their spec tag),
names those of them not exercised, and says how many operations lie outside the selection.
tests/test_spec_coverage.py runs the suites against the reference server and requires every
operation to be exercised.
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SOURCES = ("hand", "fuzz")
_lock = threading.Lock()
_counts: Counter[tuple[str, str, int]] = Counter()  # (source, operationId, status)


def record(source: str, method: str, path: str, status: int | None) -> None:
    """Count one answered request of a test (unanswered ones do not count)."""
    if status is None:
        return
    from flowise_conformance.spec_model import match

    operation = match(method, urlsplit(path).path)
    if operation is not None:
        with _lock:
            _counts[(source, operation.operation_id, int(status))] += 1


def snapshot() -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {}
    with _lock:
        for (source, op_id, status), n in _counts.items():
            out.setdefault(op_id, {}).setdefault(source, {})[str(status)] = n
    return out


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's coverage from the processes' snapshots, over every operation of the spec."""
    from flowise_conformance.spec_model import operations

    merged: dict[str, Any] = {op.operation_id: {"label": op.label, "hand": {}, "fuzz": {}} for op in operations()}
    for part in parts:
        for op_id, by_source in part.items():
            entry = merged.setdefault(op_id, {"label": op_id, "hand": {}, "fuzz": {}})
            for source, by_status in by_source.items():
                bucket = entry.setdefault(source, {})
                for status, n in by_status.items():
                    bucket[status] = bucket.get(status, 0) + n
    exercised = sorted(op for op, e in merged.items()
                       if any(200 <= int(s) < 300 for src in SOURCES for s in e.get(src, {})))
    return {"operations": merged, "exercised": exercised,
            "not_exercised": sorted(set(merged) - set(exercised))}


# ---------------------------------------------------------------- pytest hooks


def _is_fuzz(item: pytest.Item) -> bool:
    return bool(getattr(getattr(item, "module", None), "FC_FUZZ", False))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # noqa: ANN201
    from flowise_conformance import pytest_plugin

    clients = [] if _is_fuzz(item) else list(getattr(pytest_plugin, "_clients", []))
    marks = [(c, len(c.transcript)) for c in clients]
    try:
        yield
    finally:
        for client, start in marks:
            for exchange in client.transcript[start:]:
                record("hand", exchange.method, exchange.url, exchange.status)


def _coverage_dir(config: pytest.Config) -> Path | None:
    from flowise_conformance import run_context

    context = run_context.get(config)
    return context.run_dir / "coverage" if context is not None else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    where = _coverage_dir(config)
    if where is None:
        return
    mine = snapshot()
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    if mine or worker == "main":
        where.mkdir(parents=True, exist_ok=True)
        (where / f"{worker}.json").write_text(json.dumps(mine, sort_keys=True), encoding="utf-8")
    if worker != "main":
        return
    parts = []
    for path in sorted(where.glob("*.json")):
        try:
            parts.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    merged = merge(parts)
    (where.parent / "coverage.json").write_text(json.dumps(merged, indent=1, sort_keys=True), encoding="utf-8")
    config.stash[_summary_key] = merged


_summary_key = pytest.StashKey[dict[str, Any]]()


def _selected_resources(config: pytest.Config) -> set[str] | None:
    """The resources of the tests this run ran (their ``resource`` markers), None without a summary."""
    from flowise_conformance.plugins.reporting import _plugin_state

    summary = _plugin_state(config).get("summary")
    if summary is None:
        return None
    return {_resource(t.resource) for t in summary.tests.values() if t.resource}


def _resource(name: str) -> str:
    """A resource marker or spec tag in one spelling ('document-store' and 'document_store' are one)."""
    return name.replace("-", "_")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line: how many operations the selected tests exercised, naming only those they were meant to."""
    merged = config.stash.get(_summary_key, None)
    if not merged or not any(any(e.get(s) for s in SOURCES) for e in merged["operations"].values()):
        return
    from flowise_conformance.fuzz.operations import operations

    tags = {op.operation_id: _resource(op.tag) for op in operations()}
    resources = _selected_resources(config)
    # an operation is in scope when a selected test's resource is its tag (or it is not the spec's)
    in_scope = [op for op in merged["operations"] if resources is None or tags.get(op, "") in resources | {""}]
    exercised = [op for op in in_scope if op in merged["exercised"]]
    missing = [op for op in merged["not_exercised"] if op in in_scope]
    outside = len(merged["operations"]) - len(in_scope)
    line = f"spec operations exercised (a 2xx answer to a test): {len(exercised)}/{len(in_scope)}"
    if outside:
        line += f" of the selected profiles' operations; {outside} operations outside the selected profiles"
    if missing:
        line += " - not: " + ", ".join(missing)
    terminalreporter.write_line(line)
