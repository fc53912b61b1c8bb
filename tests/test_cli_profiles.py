"""Profile and level options: a wrong name is refused at once, a name is accepted in every spelling."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from flowise_conformance.config import load_target
from flowise_conformance.errors import UsageError


def canonical_profiles(values: list[str]) -> list[str]:
    from flowise_conformance.plugins import gating

    return gating.canonical_profiles(values)  # imported late: a missing function fails each test, not collection


def test_unknown_profile_exits_2_at_once_with_one_line_and_no_run_directory(run_cli):
    """`run --profile nope` exits 2 before the embedded server starts: one line, no traceback, no reports."""
    started = time.monotonic()
    result = run_cli("run", "--profile", "nope")
    elapsed = time.monotonic() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    received = f"Received (exit {result.code}, {elapsed:.1f} s):\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
    assert result.code == 2 and len(lines) == 1 and "unknown profile(s) nope" in lines[0], (
        f"Expected: exit 2 and one line naming the profile\n{received}")
    assert "Exit:" not in result.stderr + result.stdout and "_pytest" not in result.stderr + result.stdout, received
    assert not result.report_dir.exists() or not any(result.report_dir.iterdir()), (
        f"Expected: no run directory\nReceived: {sorted(result.report_dir.rglob('*'))}")
    assert elapsed < 5, f"Expected: refused within 5 s\n{received}"


@pytest.mark.parametrize("spelling", ["document_store", "Document-Store", "DOCUMENT_STORE", "document-store"])
def test_profile_name_is_accepted_in_either_spelling_and_given_canonically(spelling):
    """A resource profile may be written with - or _ in any case; it is used as the suites spell it."""
    assert canonical_profiles([spelling]) == ["document-store"]


def test_profile_names_separated_by_commas_and_repeated_are_one_union():
    """--profile tools,Core --profile tools is tools and core, each once, in the order given."""
    assert canonical_profiles(["tools,Core", "tools"]) == ["tools", "core"]


def test_unknown_profile_is_a_usage_error_naming_the_known_resources():
    """An unknown profile raises UsageError listing the resources the suites have."""
    with pytest.raises(UsageError) as raised:
        canonical_profiles(["tools", "teleport"])
    assert "teleport" in str(raised.value) and "document-store" in str(raised.value), str(raised.value)


def test_level_and_profile_are_accepted_in_lower_case(run_cli):
    """`run --level must --profile Document_Store` runs document-store MUST tests and reports the canonical names."""
    result = run_cli("run", "--level", "must", "--profile", "Document_Store", "-k", "test_get_unknown_store_is_404")
    received = f"Received (exit {result.code}):\n{result.stdout[-2500:]}\n{result.stderr[-1500:]}"
    assert result.code == 0, f"Expected: exit 0\n{received}"
    summary = result.summary()
    assert summary["selection"]["profiles"] == ["document-store"] and summary["selection"]["level"] == "MUST", received
    assert "profile: document-store  level: MUST" in result.stdout, received


@pytest.mark.parametrize("spelling", ["document-store", "document_store", "Document_Store"])
def test_capability_is_accepted_in_either_spelling(tmp_path: Path, spelling):
    """[capabilities] document-store = false declares the capability document_store unsupported."""
    file = tmp_path / "t.toml"
    file.write_text(f'base_url = "http://127.0.0.1:1"\n[capabilities]\n"{spelling}" = false\n')
    target = load_target(target_file=file, env={})
    assert not target.supports("document_store") and dict(target.capabilities) == {"document_store": False}
