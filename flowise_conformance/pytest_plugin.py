"""The pytest plugin: target options, fixtures, markers, transcripts, cleanup and reports.

Loaded by ``flowise-conformance run`` (``-p``) and by the checkout's root ``conftest.py``.
It is active (guard, read-only, gating, reports; the embedded reference server when no base
URL is configured) in every session that runs suites: one started by ``flowise-conformance
run``, one that loads a suites ``conftest.py`` (``paths.SUITES_FLAG``: a checkout's, the
installed bundle's, a copy's), or one whose command line names the installed suites. A
session that collects suite tests (``level``/``resource`` markers) without being active
stops with exit code 2 before any test: a suite test never runs unguarded.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from flowise_conformance import hypothesis_cache, paths
from flowise_conformance import run_context as run_ctx  # (`run_context` is the fixture's name)
from flowise_conformance.client import HEALTH, Exchange, FlowiseClient
from flowise_conformance.config import ENV_API_KEY, ENV_BASE_URL, Target
from flowise_conformance.errors import FcError
from flowise_conformance.outcomes import LEVELS
from flowise_conformance.redact import redact, register_secret
from flowise_conformance.report.summary import RunSummary
from flowise_conformance.run import RunScope, check_run_id, new_run_id
from flowise_conformance.tracker import Tracker, sweep


# Further hook groups live in their own modules (one job each) and are registered here.
pytest_plugins: list[str] = ["flowise_conformance.plugins.error_shape", "flowise_conformance.plugins.fuzz",
                              "flowise_conformance.plugins.safety.allure", "flowise_conformance.plugins.safety.plugin",
                              "flowise_conformance.plugins.harness",
                              "flowise_conformance.plugins.gating",
                              "flowise_conformance.plugins.terminal", "flowise_conformance.plugins.reporting",
                              "flowise_conformance.plugins.coverage",
                              "flowise_conformance.plugins.outcome"]  # last: it imports the stages of the others

MARKERS = {
    "resource(name)": "the API resource a test exercises (chatflows, prediction, ...)",
    "level(level)": "requirement level: MUST, SHOULD or MAY",
    "source(kind, docs=, flowise=, why=)": "where the requirement comes from (flowise_conformance/sources.py)",
    "mutating": "the test sends state-changing requests (POST/PUT/DELETE)",
    "requires(*capabilities)": "skipped when the target declares one of these capabilities unsupported",
    "xdist_group(name)": "tests that share one xdist worker (registered here too: runs without xdist know it)",
}

_state_key = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flowise-conformance")
    group.addoption("--base-url", default=None, help=f"origin of the server under test (env {ENV_BASE_URL})")
    group.addoption("--api-key", default=None, help=f"API key sent as Bearer (env {ENV_API_KEY})")
    group.addoption("--target", default=None, help="target file (TOML); options and env vars take precedence")
    group.addoption("--report-dir", default="reports", help="where reports/<run-id>/ goes (default: reports)")
    group.addoption("--run-id", default=None, help="the run id (default: a new timestamped id)")
    group.addoption("--fc-run", action="store_true", default=False, help=argparse.SUPPRESS)  # set by `run`: suites


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _installed_suites() -> Path | None:
    try:
        return paths.suites_dir().resolve()
    except FileNotFoundError:
        return None


def _declared_suites_root(config: pytest.Config) -> Path | None:
    """The directory of a loaded suites conftest (pytest loads those of the given paths before configure)."""
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, paths.SUITES_FLAG, None) is True and isinstance(getattr(plugin, "__file__", None), str):
            return Path(plugin.__file__).resolve().parent
    return None


def _suites_root(config: pytest.Config) -> Path | None:
    """The suites directory this session runs, or None when it runs no suites (e.g. the self-tests)."""
    declared = _declared_suites_root(config)
    if declared is not None:
        return declared
    installed = _installed_suites()
    if config.getoption("--fc-run") or installed is None:
        return installed
    named = paths.command_line_paths(config.args, Path(config.invocation_params.dir))
    return installed if any(path == installed or installed in path.parents for path, _ in named) else None


def suites_root(config: pytest.Config) -> Path | None:
    """The suites directory of this session: what test ids are relative to (``gating.canonical_id``)."""
    root: Path | None = config.stash[_state_key].get("suites_root")
    return root


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    hypothesis_cache.prepare()  # before anything asks Hypothesis for its storage directory
    for marker, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {doc}")
    root = _suites_root(config)
    state: dict[str, Any] = {"active": False, "suites_root": root or _installed_suites()}
    config.stash[_state_key] = state
    if _is_worker(config):
        context = run_ctx.get(config)  # sent by the controller (run_context.XdistHandoff)
        state["active"] = context is not None
        if context is not None:
            state["run"] = RunScope(context.run_id, context.report_dir)
        return
    if root is None:
        return
    state["active"] = True
    context = run_ctx.handed(config)  # written by `flowise-conformance run`, else by this session:
    if context is None:
        try:
            run_id = config.getoption("--run-id")
            context, server = run_ctx.start(
                base_url=config.getoption("--base-url"), api_key=config.getoption("--api-key"),
                target_file=config.getoption("--target"), report_dir=config.getoption("--report-dir"),
                run_id=check_run_id(run_id) if run_id is not None else new_run_id())
        except FcError as exc:
            pytest.exit(f"flowise-conformance: {exc}", returncode=2)
        if server is not None:
            state["embedded"] = server
    run_ctx.store(config, context)
    register_secret(context.target.api_key)
    run = RunScope(context.run_id, context.report_dir)
    run.run_dir.mkdir(parents=True, exist_ok=True)
    state["run"] = run
    state["summary"] = RunSummary(context.run_id, context.target.redacted(), server_version=context.server_version)
    state["t0"] = time.monotonic()
    if not config.option.xmlpath:
        config.option.xmlpath = str(run.run_dir / "junit.xml")


def _stop_embedded(state: dict[str, Any]) -> None:
    server = state.pop("embedded", None)
    if server is not None:
        server.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_embedded(config.stash.get(_state_key, {}))


# ---------------------------------------------------------------- fixtures


def _known_target(config: pytest.Config) -> Target | None:
    """The run's target, else the one the ``target`` fixture loaded in a session outside a run."""
    context = run_ctx.get(config)
    return context.target if context is not None else config.stash[_state_key].get("loaded_target")


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The server under test: the run's, else as configured (option > env > file)."""
    found = _known_target(pytestconfig)
    if found is None:
        try:
            found = pytestconfig.stash[_state_key]["loaded_target"] = run_ctx.target(pytestconfig)
        except FcError as exc:
            pytest.exit(f"flowise-conformance: {exc}", returncode=2)
        register_secret(found.api_key)
    if not found.base_url:
        pytest.exit("flowise-conformance: no base URL (give --base-url, FLOWISE_BASE_URL or a target file)", returncode=2)
    return found


@pytest.fixture(scope="session")
def run_context(pytestconfig: pytest.Config) -> RunScope:
    state = pytestconfig.stash[_state_key]
    if "run" not in state:
        state["run"] = RunScope(new_run_id(), Path(pytestconfig.getoption("--report-dir")).resolve())
    return state["run"]


_clients: list[FlowiseClient] = []


def _client(target: Target, authed: bool) -> Iterator[FlowiseClient]:
    client = FlowiseClient(target, authed=authed)
    _clients.append(client)
    yield client
    _clients.remove(client)
    client.close()


@pytest.fixture(scope="session")
def api(target: Target) -> Iterator[FlowiseClient]:
    """A client that sends the target's API key."""
    yield from _client(target, authed=True)


@pytest.fixture(scope="session")
def anon(target: Target) -> Iterator[FlowiseClient]:
    """A client that sends no API key."""
    yield from _client(target, authed=False)


@pytest.fixture(scope="session")
def tracker(api: FlowiseClient, run_context: RunScope) -> Iterator[Tracker]:
    """Journals what this worker creates; deletes what is left at the end of the session."""
    owned = Tracker(api, run_context.journal)
    yield owned
    owned.delete_all()


@pytest.fixture
def new_name(run_context: RunScope):  # noqa: ANN201
    """Makes run-scoped names: fc-<run tag>-<worker>-<what>-<n>."""
    return run_context.name


# ---------------------------------------------------------------- per-test hooks


UNGUARDED = ("flowise-conformance: {n} suite test(s) collected (e.g. {example}) in a session that cannot guard them "
             "(no suites conftest.py loaded: --noconftest, --confcutdir or a copy without it?): refusing to run them. "
             "Run `flowise-conformance run PATH` or `pytest PATH` with the suites' conftest.py.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.stash[_state_key].get("active"):
        suite_tests = [i for i in items if i.get_closest_marker("level") or i.get_closest_marker("resource")]
        if suite_tests:  # markers are the suites' own: they say what ran, whatever the path
            pytest.exit(UNGUARDED.format(n=len(suite_tests), example=suite_tests[0].nodeid), returncode=2)
        return
    for item in items:
        level = item.get_closest_marker("level")
        resource = item.get_closest_marker("resource")
        if level is None or not level.args or level.args[0] not in LEVELS:
            raise pytest.UsageError(f"{item.nodeid}: every suite test needs @pytest.mark.level('MUST'|'SHOULD'|'MAY')")
        if resource is None or not resource.args:
            raise pytest.UsageError(f"{item.nodeid}: every suite test needs @pytest.mark.resource('<name>')")
        item.user_properties.append(("level", level.args[0]))
        item.user_properties.append(("resource", resource.args[0]))
        item.user_properties.append(("mutating", item.get_closest_marker("mutating") is not None))


def pytest_runtest_setup(item: pytest.Item) -> None:
    for client in _clients:
        client.transcript.clear()
    known = _known_target(item.config)
    if known is not None and known.base_url:
        HEALTH.check(known.base_url)  # a target given up on fails each further test at once, with the reason
    marker = item.get_closest_marker("requires")
    if marker is None:
        return
    target = known or run_ctx.target(item.config)
    missing = [c for c in marker.args if not target.supports(c)]
    if missing:
        pytest.skip(f"unsupported: the target declares {', '.join(missing)} unsupported")


def transcript_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): a failure gets its transcript; its text is redacted, paths shortened."""
    if report.failed and _clients:
        exchanges = failure_exchanges([e for c in _clients for e in c.transcript])
        if exchanges:
            report.sections.append(("transcript", "\n\n".join(e.render() for e in exchanges)))
    if report.longrepr is not None and report.failed:
        report.longrepr = redact(_install_paths_shortened(str(report.longrepr), item.config))


def failure_exchanges(exchanges: list[Exchange], own: int = 6, cleanup: int = 3) -> list[Exchange]:
    """In the order sent: the test's last ``own`` exchanges, then at most ``cleanup`` of the cleanup's
    (a stateful fuzz scenario cleans up before its failure is reported: those must not crowd out what failed)."""
    ordered = sorted(exchanges, key=lambda e: e.seq)
    kept = [e for e in ordered if not e.cleanup][-own:] + [e for e in ordered if e.cleanup][-cleanup:]
    return sorted(kept, key=lambda e: e.seq)


def _install_paths_shortened(text: str, config: pytest.Config) -> str:
    """Traceback locations as the reports name things (``tools/test_x.py:37``, ``flowise_conformance/checks/core.py:39``),
    not where the suites and the package are installed (``.../site-packages/.../_bundle/suites/...``)."""
    root = suites_root(config)
    if root is not None:
        text = text.replace(f"{root}{os.sep}", "")
    return text.replace(f"{paths.PACKAGE_DIR}{os.sep}", f"{paths.PACKAGE_DIR.name}/")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash[_state_key]
    if _is_worker(config) or "summary" not in state:
        return
    run: RunScope = state["run"]
    target = run_ctx.target(config)
    client = FlowiseClient(target)
    try:
        _, leftovers = sweep(client, run.journal)
    finally:
        client.close()
    state["cleanup_problems"] = leftovers
