"""The terminal of a run: a short header and test ids as the reports name them.

``flowise-conformance run`` collects the installed suites with ``--rootdir`` at their
directory, so pytest's node ids are already the suite-relative ids of summary.json
(``tools/test_tools_lifecycle.py::test_update_persists``); pytest would still print them
relative to the working directory (``../.venv/lib/.../_bundle/suites/...``). When the
rootdir is the suites directory, the terminal shows the node ids as they are.

The header (after pytest's own, which the CLI turns off) says what is tested and how:
the target and where it came from, the server's version, the profile and the level.
"""
from __future__ import annotations

from typing import Any

import pytest

from flowise_conformance import __version__, paths, run_context


def target_line(target: Any, server_version: str | None) -> str:
    """'target: URL (where it came from)': one wording for the header and the summary."""
    labels = [label for label in dict.fromkeys((target.name, target.source)) if label]
    return (f"target: {target.base_url}" + (f" ({'; '.join(labels)})" if labels else "")
            + (f"  server version: {server_version}" if server_version else ""))


def selection_line(selection: dict[str, Any]) -> str:
    """'profile: ...  level: ...  strict: ...': one wording for the header and the summary."""
    expectations = selection.get("expectations") or []
    return (f"profile: {', '.join(selection.get('profiles') or ['full'])}  level: {selection.get('level') or 'all'}"
            f"  strict: {'yes' if selection.get('strict') else 'no'}"
            + (f"  expectations: {', '.join(_file_name(f) for f in expectations)}" if expectations else "")
            + (f"  rerun of: {selection['rerun_of']}" if selection.get("rerun_of") else "")
            + (f"  spec and suites from {paths.TREE_ENV}={tree}" if (tree := paths._tree()) else ""))


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


# Ctrl-C's own KeyboardInterrupt passing through allure's old-style hook wrappers is not a plugin's fault
INTERRUPT_THROUGH_WRAPPER = (r"ignore:(?s)A plugin raised an exception during an old-style hookwrapper teardown"
                              r".*(KeyboardInterrupt|RunInterrupted):pluggy.PluggyTeardownRaisedWarning")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if _plugin_state(config).get("active"):
        config.addinivalue_line("filterwarnings", INTERRUPT_THROUGH_WRAPPER)


def _plugin_state(config: pytest.Config) -> dict[str, Any]:
    from flowise_conformance.pytest_plugin import _state_key

    return config.stash.get(_state_key, {})


def _rootdir_is_suites(config: pytest.Config) -> bool:
    """Whether pytest's rootdir is this session's suites directory (installed, or a checkout's that ``run`` was given)."""
    from flowise_conformance.pytest_plugin import suites_root

    root = suites_root(config)
    return root is not None and config.rootpath.resolve() == root


def _show_node_ids_as_they_are(config: pytest.Config, reporter: Any) -> None:
    reporter.startpath = config.rootpath  # file names of the progress lines
    # pytest has no hook for the ids of its summary lines ("FAILED <id>", -v): the instance method is replaced
    config.cwd_relative_nodeid = lambda nodeid: nodeid  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Any:
    """After pytest's session banner: the run's own header."""
    result = yield
    config = session.config
    state = _plugin_state(config)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if hasattr(config, "workerinput") or not state.get("active") or reporter is None:
        return result
    if _rootdir_is_suites(config):
        _show_node_ids_as_they_are(config, reporter)
    summary = state.get("summary")
    context = run_context.get(config)
    target = context.target if context is not None else None
    if summary is not None and target is not None and reporter.verbosity >= 0:
        reporter.write_line(f"flowise-conformance {__version__}  run {summary.run_id}")
        reporter.write_line(target_line(target, summary.server_version))
        reporter.write_line(selection_line(summary.selection))
    return result
