"""Every fault of the reference server is caught by the tests its definition names."""
from __future__ import annotations

import pytest

from flowise_conformance.reference.faults import all_faults

FAULTS = all_faults()


def test_every_fault_names_catching_tests():
    """A fault without a catching test is a check nobody proved."""
    assert FAULTS, "the reference server declares no faults"
    assert all(f.caught_by for f in FAULTS)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_caught(run_cli, fault):
    """With the fault on, the run exits 1 and every test named in caught_by fails."""
    from flowise_conformance.paths import suites_dir

    node_ids = [str(suites_dir() / n) for n in fault.caught_by]
    # --strict: a fault caught only by SHOULD tests is a warning (exit 0) in a plain run
    result = run_cli("run", "--strict", "--reference-fault", fault.name, *node_ids)
    assert result.code == 1, f"exit {result.code}\n{result.stdout[-3000:]}\n{result.stderr[-1500:]}"
    outcomes = result.outcomes()
    for node in fault.caught_by:
        assert outcomes.get(node) == "failed", f"{node}: {outcomes.get(node)} (wanted failed)"
