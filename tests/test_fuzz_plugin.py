"""The fuzz suite's options and item markers, as a user meets them on the command line."""
from __future__ import annotations

import pytest

from flowise_conformance.fuzz import settings
from flowise_conformance.paths import suites_dir

FUZZ = suites_dir() / "fuzz"


@pytest.mark.parametrize("value", ["-1", "abc", str(2**64)])
def test_bad_seed_is_a_usage_error(value):
    """A seed that is not an integer in [0, 2**64) is refused."""
    with pytest.raises(ValueError, match="seed"):
        settings.parse_seed(value)


@pytest.mark.parametrize("value", ["0", "x", str(settings.MAX_EXAMPLES + 1)])
def test_bad_budget_is_a_usage_error(value):
    """--fuzz-examples outside [1, MAX_EXAMPLES] is refused."""
    with pytest.raises(ValueError, match="fuzz-examples"):
        settings.parse_examples(value)


def test_settings_travel_through_the_environment_to_workers(monkeypatch):
    """configure() puts seed, budget and depth where xdist workers (and later imports) read them."""
    for name in (settings.ENV_SEED, settings.ENV_EXAMPLES, settings.ENV_DEEP):
        monkeypatch.delenv(name, raising=False)
    assert settings.current() == settings.FuzzSettings()
    settings.configure(settings.FuzzSettings(seed=7, examples=3, deep=True))
    assert settings.current() == settings.FuzzSettings(seed=7, examples=3, deep=True)


def test_cli_refuses_a_bad_budget_with_exit_2(run_cli):
    """flowise-conformance run --fuzz-examples 0 ends with exit code 2 and says why."""
    result = run_cli("run", str(FUZZ / "test_fuzz_operations.py"), "--fuzz-examples", "0", timeout=120)
    assert result.code == 2, (result.code, result.stdout[-1500:], result.stderr[-1500:])
    assert "fuzz-examples" in result.stdout + result.stderr


def test_one_operation_runs_alone_with_its_markers(run_cli):
    """--fuzz-operation keeps that operation's items only; they carry resource, level and mutating."""
    result = run_cli("run", str(FUZZ), "--fuzz-operation", "deleteTool", "--fuzz-examples", "1", timeout=300)
    assert result.code == 0, (result.stdout[-2000:], result.stderr[-1500:])
    tests = {t["id"]: t for t in result.summary()["tests"]}
    assert set(tests) == {
        "fuzz/test_fuzz_operations.py::test_operation_conforms[DELETE /api/v1/tools/{id}]",
        "fuzz/test_fuzz_negative.py::test_invalid_request_is_refused[DELETE /api/v1/tools/{id}]",
    }
    for test in tests.values():
        assert test["resource"] == "tools" and test["mutating"] is True
    levels = {t["id"].split("::")[0]: t["level"] for t in tests.values()}
    assert levels == {"fuzz/test_fuzz_operations.py": "MUST", "fuzz/test_fuzz_negative.py": "SHOULD"}


def test_a_fuzz_node_id_can_be_given_on_the_command_line(run_cli):
    """A bracketed fuzz node id (as in a fault's caught_by) selects exactly that item."""
    node = "test_fuzz_operations.py::test_operation_conforms[GET /api/v1/ping]"
    result = run_cli("run", f"{FUZZ}/{node}", "--fuzz-examples", "1", timeout=300)
    assert result.code == 0, (result.stdout[-2000:], result.stderr[-1500:])
    assert [t["id"] for t in result.summary()["tests"]] == [f"fuzz/{node}"]
