"""Every operation of the spec is exercised: by a hand-written test or by a fuzz item.

How coverage is known: the run records every request its tests send (hand-written suites: the
session clients' transcripts in each test's call phase; fuzz: its after-call hook), matches it
to the spec's path templates and writes ``<run dir>/coverage.json`` (plugins/coverage.py).
An operation counts as exercised when a test got a 2xx answer from it: requests that only ever
met 401, 404 or a missing route would not show that the operation is implemented and reached.
"""
from __future__ import annotations

import json
import re

import pytest

from flowise_conformance.fuzz.operations import operations
from flowise_conformance.paths import suites_dir
from flowise_conformance.plugins.coverage import merge

SPEC_OPERATIONS = {op.operation_id: op.label for op in operations()}


def test_coverage_counts_a_2xx_from_either_source_and_nothing_else():
    """merge(): an operation is exercised by a 2xx of a hand-written test or of a fuzz item only."""
    merged = merge([
        {"ping": {"hand": {"200": 1}}, "getTool": {"hand": {"404": 3}}},
        {"listTools": {"fuzz": {"200": 2, "400": 1}}, "getTool": {"fuzz": {"401": 5}}},
    ])
    assert {"ping", "listTools"} <= set(merged["exercised"])
    assert "getTool" in merged["not_exercised"]
    assert set(merged["operations"]) >= set(SPEC_OPERATIONS)
    assert merged["operations"]["getTool"]["hand"] == {"404": 3} and merged["operations"]["getTool"]["fuzz"] == {"401": 5}


def test_every_operation_has_a_fuzz_item(run_cli):
    """The per-operation fuzz module collects one item per spec operation."""
    module = suites_dir() / "fuzz" / "test_fuzz_operations.py"
    result = run_cli("run", str(module), "--collect-only", "-q", timeout=120)
    labels = set(re.findall(r"test_operation_conforms\[([A-Z]+ [^\]]+)\]", result.stdout))
    missing = sorted(op for op, label in SPEC_OPERATIONS.items() if label not in labels)
    assert not missing, f"spec operations without a fuzz item: {missing}\n{result.stdout[-2000:]}{result.stderr[-1000:]}"


@pytest.fixture(scope="module")
def reference_coverage(reference_full_run) -> dict:
    """The coverage.json of one full default run of every suite against the reference server."""
    found = sorted(reference_full_run.report_dir.glob("*/coverage.json"))
    assert found, (f"no coverage.json (exit {reference_full_run.code})\n{reference_full_run.stdout[-3000:]}"
                   f"\n{reference_full_run.stderr[-2000:]}")
    return json.loads(found[-1].read_text(encoding="utf-8"))


def test_every_operation_is_exercised_against_the_reference_server(reference_coverage):
    """No spec operation is left without a 2xx answer to some hand-written test or fuzz item."""
    ops = reference_coverage["operations"]
    missing = {op: {"label": SPEC_OPERATIONS.get(op), "hand": ops.get(op, {}).get("hand"), "fuzz": ops.get(op, {}).get("fuzz")}
               for op in SPEC_OPERATIONS if op not in reference_coverage["exercised"]}
    assert not missing, f"operations no test exercised (statuses seen): {json.dumps(missing, indent=1)}"


def test_hand_written_suites_are_recorded(reference_coverage):
    """The recorder sees the hand-written suites too, not only the fuzz items."""
    hand = [op for op, entry in reference_coverage["operations"].items() if entry.get("hand")]
    assert len(hand) >= len(SPEC_OPERATIONS) // 2, f"only {len(hand)} operations seen from hand-written tests: {hand}"
