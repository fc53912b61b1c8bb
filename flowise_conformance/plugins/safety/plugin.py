"""The safety plugin's pytest hooks: each job's module, switched on and off in the session's order.

pytest_configure (trylast, once the run's target and context are known) takes the inventory,
makes the guard, installs the transport patches, the Node fetch guard, log and terminal
redaction and the signal handlers; pytest_unconfigure undoes each. The hooks in between keep an
interrupt an interrupt, redact reports and skip state-changing tests in read-only mode;
``refusal_stage`` (a stage of plugins/outcome.py) turns a refusal into a harness error. Importing this module patches nothing.
"""
from __future__ import annotations

import os
import time
from typing import Any, Generator

import pytest

from flowise_conformance.plugins.safety import guard as guard_mod
from flowise_conformance.plugins.safety import read_only
from flowise_conformance.plugins.safety.guard import Guard
from flowise_conformance.plugins.safety.interrupts import INTERRUPTS, RunInterrupted, signal_received
from flowise_conformance.plugins.safety.inventory import InventoryFailed, foreign_ids
from flowise_conformance.plugins.safety.logs import install_log_redaction, remove_log_redaction
from flowise_conformance.plugins.safety.node import guard_node_processes, unguard_node_processes
from flowise_conformance.plugins.safety.reports import RedactReports, redact_report, scrub_reports
from flowise_conformance.plugins.safety.terminal import redact_terminal
from flowise_conformance.plugins.safety.transport import install_patches, remove_patches
from flowise_conformance.plugins.safety.workers import XdistHooks
from flowise_conformance.redact import redact, register_secret

_key = pytest.StashKey[dict[str, Any]]()
_CONFIG: dict[str, pytest.Config] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    read_only.add_option(parser)


def _plugin_state(config: pytest.Config) -> dict[str, Any]:
    from flowise_conformance.pytest_plugin import _state_key

    return config.stash.get(_state_key, {})


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    state = _plugin_state(config)
    if not state.get("active"):
        return
    from flowise_conformance import run_context
    from flowise_conformance.config import ENV_API_KEY
    from flowise_conformance.run import set_current_run

    mine: dict[str, Any] = {"t0": time.time()}
    config.stash[_key] = mine
    _CONFIG["config"] = config
    worker = hasattr(config, "workerinput")
    target = run_context.target(config)
    register_secret(target.api_key)
    register_secret(os.environ.get(ENV_API_KEY))
    if not target.base_url:
        return
    run = state.get("run")  # pytest_plugin's RunScope, on the controller and on each worker
    set_current_run(run)
    read_only_mode = bool(config.getoption("--read-only"))
    if worker:
        foreign = frozenset(config.workerinput.get("fc_foreign_ids", ()))  # type: ignore[attr-defined]
    else:
        if run is not None:
            run.journal.run_started(run.run_id, target.base_url)
        try:
            foreign = frozenset() if read_only_mode else foreign_ids(target)
        except InventoryFailed as exc:
            # USAGE_ERROR: the CLI answers it with exit 2 (pytest's own 2 means interrupted there)
            pytest.exit(f"flowise-conformance: {redact(str(exc))}", returncode=pytest.ExitCode.USAGE_ERROR)
        if run is not None and foreign:
            run.journal.inventory(sorted(foreign))
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(XdistHooks(foreign), "fc-safety-xdist")
    journal_to = None
    if run is not None:
        from flowise_conformance.tracker import delete_path

        journal = run.journal
        journal_to = lambda kind, obj_id, name: journal.created(kind, obj_id, delete_path(kind, obj_id), name)  # noqa: E731
    reader = None
    if run is not None:
        from flowise_conformance.client import FlowiseClient
        from flowise_conformance.proof import Prover

        reader_client = FlowiseClient(target)
        mine["reader_client"] = reader_client
        reader = Prover(reader_client, run.tag, run.journal).read
    active = Guard(target.base_url, read_only=read_only_mode, foreign=foreign, journal_to=journal_to,
                   predict_only=frozenset(target.fixtures.values()),
                   run_prefix=f"fc-{run.tag}-" if run is not None else None,
                   intent_to=run.journal.creating if run is not None else None,
                   resolved_to=run.journal.resolved if run is not None else None,
                   reader=reader)
    guard_mod.set_guard(active)
    install_patches()
    guard_node_processes(active, mine)
    install_log_redaction()
    if run is not None:
        from flowise_conformance.cleanup import hint

        INTERRUPTS.hint = hint(run.journal)
    INTERRUPTS.install(config)
    redact_terminal(config.pluginmanager.get_plugin("terminalreporter"))
    mine["guard"] = active
    if not config.pluginmanager.has_plugin("fc-safety-redact"):
        config.pluginmanager.register(RedactReports(), "fc-safety-redact")


def pytest_unconfigure(config: pytest.Config) -> None:
    mine = config.stash.get(_key, None)
    if mine is None:
        return
    unguard_node_processes(mine)
    if mine.get("reader_client") is not None:
        mine.pop("reader_client").close()
    _scrub(config)
    INTERRUPTS.remove()
    remove_patches()
    remove_log_redaction()
    guard_mod.set_guard(None)
    if _CONFIG.get("config") is config:
        _CONFIG.pop("config")
    from flowise_conformance.run import set_current_run

    set_current_run(None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash.get(_key, None) is None or not config.getoption("--read-only"):
        return
    read_only.skip_state_changing(items)


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    active = guard_mod.guard()
    if active is not None and _CONFIG:
        with active._lock:
            active.violations.clear()


def _interrupt_not_swallowed(item: pytest.Item) -> Generator[None, Any, Any]:
    """A Ctrl-C that a library inside the test turned into another error is still the interrupt: the run stops
    there and the test is not failed by it. (Hypothesis, replaying a stateful fuzz run that the interrupt cut,
    raised FlakyStrategyDefinition: the item failed and the next one ran.)"""
    try:
        return (yield)
    except KeyboardInterrupt:
        raise
    except BaseException:
        if signal_received() and item.config.stash.get(_key, None) is not None:
            raise RunInterrupted(INTERRUPTS.signum) from None
        raise


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    return (yield from _interrupt_not_swallowed(item))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _interrupt_not_swallowed(item))


def refusal_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): the guard's refusals become a harness error; the report is redacted."""
    if item.config.stash.get(_key, None) is None:
        return
    active = guard_mod.guard()
    if active is not None and active.violations:
        with active._lock:
            found, active.violations[:] = list(active.violations), []
        message = "harness error: the safety guard refused to send:\n" + "\n".join(f"  {v}" for v in found)
        report.longrepr = redact(message)
        from flowise_conformance.plugins import harness  # imported here: pytest registers (and rewrites) it later

        harness.mark(report, found[0])
    redact_report(report)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):  # noqa: ANN201
    yield
    _scrub(session.config)


def _scrub(config: pytest.Config) -> None:
    """Redact the key from every report file this run wrote (junit, summary, Allure, HTML, ...)."""
    mine = config.stash.get(_key, None)
    if mine is None or hasattr(config, "workerinput"):
        return
    scrub_reports(config, _plugin_state(config).get("run"), since=mine["t0"])


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(_key, None) is None or hasattr(config, "workerinput"):
        return
    if config.getoption("--read-only"):
        terminalreporter.write_line(read_only.summary_line(terminalreporter))
