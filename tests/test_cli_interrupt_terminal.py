"""Ctrl-C on the terminal: the run says it stopped, in its own words, without a traceback or warnings."""
from __future__ import annotations

import signal
import warnings

import pytest
from pluggy import PluggyTeardownRaisedWarning

from flowise_conformance.paths import suites_dir
from tests.safety_support import RefServer, cli_env, finish, signal_group, start_cli, wait_for

KEY = "fc-interrupt-terminal-key-51ab"
# the first POST /chatflows of this file is its `chatflow` fixture's: the signal lands in a setup, inside allure's
# hook wrapper; test_rate_limit.py uses the xdist_group mark, which a run without xdist must know too
FILES = ["chatmessage/test_chatmessage_delete.py", "contracts/test_rate_limit.py"]


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str]:
    """A run without xdist against a server that holds creates of chatflows, interrupted with SIGINT in a setup."""
    tmp = tmp_path_factory.mktemp("interrupt")
    run_id = "20260101-000000-7e4a11"
    with RefServer(tmp, KEY) as server:
        server.hold = lambda scope: scope["method"] == "POST" and scope["path"] == "/api/v1/chatflows"
        proc = start_cli(["run", "--base-url", server.base_url, "--report-dir", str(tmp / "reports"),
                          "--run-id", run_id, "-p", "no:xdist", *(str(suites_dir() / f) for f in FILES)],
                         tmp / "cwd", cli_env(KEY))
        try:
            wait_for(lambda: server.held.is_set() or proc.poll() is not None, 120, "a held create of a chatflow")
        finally:
            signal_group(proc, signal.SIGINT)
        return finish(proc, timeout=60)


def test_interrupt_shows_no_traceback_location(interrupted):
    """No 'file.py:NNN: KeyboardInterrupt' line: the run says it was interrupted, not where Python was."""
    code, out, err = interrupted
    shown = [line for line in (out + err).splitlines() if "KeyboardInterrupt" in line]
    assert code == 130 and not shown, f"Expected: exit 130, no KeyboardInterrupt line\nReceived (exit {code}): {shown}"


def test_interrupt_shows_no_warnings_summary(interrupted):
    """No warnings summary: the suites' marks are known with or without xdist."""
    code, out, err = interrupted
    shown = [line for line in (out + err).splitlines() if "Warning" in line or "warnings summary" in line]
    assert not shown, f"Expected: no warnings\nReceived (exit {code}):\n" + "\n".join(shown)


def test_interrupt_says_it_stopped_and_where_the_reports_are(interrupted):
    """The terminal says the run was interrupted and names the partial reports."""
    code, out, err = interrupted
    assert "interrupted" in err and "reports: " in out, f"Expected: 'interrupted' and 'reports:'\nReceived:\n{out[-3000:]}\n{err[-1500:]}"



def _recorded(message: str) -> list[warnings.WarningMessage]:
    from _pytest.config import apply_warning_filters

    from flowise_conformance.plugins import terminal

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        apply_warning_filters([terminal.INTERRUPT_THROUGH_WRAPPER], [])
        warnings.warn(PluggyTeardownRaisedWarning(message), stacklevel=1)
    return seen


TEARDOWN = "A plugin raised an exception during an old-style hookwrapper teardown.\nPlugin: allure_listener, Hook: {}\n{}"


@pytest.mark.parametrize("raised", ["KeyboardInterrupt: ", "RunInterrupted: interrupted by SIGINT: ..."])
def test_an_interrupt_through_a_plugin_wrapper_is_not_a_warning(raised):
    """Ctrl-C landing in allure's old-style hook wrapper (PluggyTeardownRaisedWarning) is not shown as a warning."""
    seen = _recorded(TEARDOWN.format("pytest_runtest_setup", raised))
    assert not seen, f"Expected: no warning\nReceived: {[str(w.message) for w in seen]}"


def test_a_plugin_failing_in_its_wrapper_for_another_reason_is_still_a_warning():
    """A plugin's own error in its hook wrapper is still shown: only the interrupt is filtered."""
    seen = _recorded(TEARDOWN.format("pytest_runtest_setup", "ValueError: boom"))
    assert len(seen) == 1, f"Expected: the warning\nReceived: {seen}"
