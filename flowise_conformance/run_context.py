"""One run's context: target, run id, report dir, preflight result, embedded server; written once.

Whoever starts the run writes it, once: ``flowise-conformance run`` (``cli._run_target``) builds it
with ``start()`` and hands it to ``pytest.main`` as a plugin object (``Handoff``); plain ``pytest``
builds it in ``pytest_plugin.pytest_configure``. The controller keeps it on ``config.stash``;
xdist workers receive it through ``workerinput`` (xdist's documented channel, filled in
``pytest_configure_node`` and sent over the execnet channel, a pipe to the worker: no file).
Every reader asks ``get(config)`` (the context) or ``target(config)`` (the server under test).

The API key travels with the target in ``workerinput``, as ``--api-key`` already travels in the
worker's arguments over the same channel; it is never written to a file and ``Target.redacted()``
is what reports show. Environment variables stay inputs only (FLOWISE_BASE_URL, FLOWISE_API_KEY,
FLOWISE_TARGET: ``config.load_target``); none carries run state.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import pytest

from flowise_conformance.config import Target, Timeouts, load_target
from flowise_conformance.embedded import EMBEDDED_SOURCE, EmbeddedServer

WORKERINPUT_KEY = "fc_run_context"


@dataclass(frozen=True)
class RunContext:
    """What a run's processes share; the per-process names and journal are ``run.RunScope``."""

    target: Target
    run_id: str
    report_dir: Path
    server_version: str | None = None
    preflight_done: bool = False  # the target answered the preflight probe (preflight.probe)
    embedded_url: str | None = None  # the embedded reference server this run started, if any

    @property
    def run_dir(self) -> Path:
        return self.report_dir / self.run_id

    def to_wire(self) -> dict[str, Any]:
        """Plain values for the execnet channel (it sends no dataclasses or paths)."""
        target = asdict(self.target)
        target["capabilities"], target["fixtures"] = dict(self.target.capabilities), dict(self.target.fixtures)
        return {"target": target, "run_id": self.run_id, "report_dir": str(self.report_dir),
                "server_version": self.server_version, "preflight_done": self.preflight_done,
                "embedded_url": self.embedded_url}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "RunContext":
        fields = dict(data["target"])
        fields["timeouts"] = Timeouts(**fields["timeouts"])
        return cls(target=Target(**fields), run_id=data["run_id"], report_dir=Path(data["report_dir"]),
                   server_version=data.get("server_version"), preflight_done=bool(data.get("preflight_done")),
                   embedded_url=data.get("embedded_url"))


def start(*, base_url: str | None, api_key: str | None, target_file: str | None, run_id: str, report_dir: str | Path,
          faults: tuple[str, ...] = (), say: Callable[[str], None] | None = None) -> tuple[RunContext, EmbeddedServer | None]:
    """Load the target (starting the embedded reference server when no base URL is given), probe it once.

    Returns the context and the server to stop when the run ends (None for an external target).
    Raises ``FcError`` (a bad target, an unreachable one) after stopping any server it started.
    """
    from flowise_conformance.errors import UsageError
    from flowise_conformance.preflight import probe
    from flowise_conformance.redact import register_secret

    target = load_target(base_url=base_url, api_key=api_key, target_file=target_file)
    server: EmbeddedServer | None = None
    try:
        if not target.base_url:
            if say is not None:
                say("no base URL given: starting the embedded reference server")
            server = EmbeddedServer(faults=faults, body_limit=target.body_limit,
                                    api_key=target.api_key).start()  # a key given (option/env) is the server's
            target = replace(target, base_url=server.base_url, api_key=server.api_key, source=EMBEDDED_SOURCE,
                             name=target.name or EMBEDDED_SOURCE)
        elif faults:
            raise UsageError("--reference-fault applies to the embedded server only (no --base-url)")
        register_secret(target.api_key)
        version = probe(target)
    except BaseException:
        if server is not None:
            server.stop()
        raise
    return RunContext(target, run_id, Path(report_dir).resolve(), server_version=version, preflight_done=True,
                      embedded_url=server.base_url if server is not None else None), server


_KEY = pytest.StashKey[RunContext]()


class Handoff:
    """The plugin object ``flowise-conformance run`` gives ``pytest.main``: the context it wrote."""

    def __init__(self, context: RunContext) -> None:
        self.context = context


class XdistHandoff:
    """Sends the controller's context to each xdist worker in ``workerinput``."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        context = node.config.stash.get(_KEY, None)
        if context is not None:
            node.workerinput[WORKERINPUT_KEY] = context.to_wire()


def handed(config: pytest.Config) -> RunContext | None:
    """The context given by the process that started pytest (``Handoff``), if any."""
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, Handoff):
            return plugin.context
    return None


def store(config: pytest.Config, context: RunContext) -> None:
    """Written once, by the controller that starts the run."""
    if _KEY in config.stash:
        raise RuntimeError("the run context is written once")
    config.stash[_KEY] = context
    if config.pluginmanager.hasplugin("xdist") and not config.pluginmanager.has_plugin("fc-run-context-xdist"):
        config.pluginmanager.register(XdistHandoff(), "fc-run-context-xdist")


def get(config: pytest.Config) -> RunContext | None:
    """This run's context: the controller's, or the one a worker received; None outside a run."""
    found = config.stash.get(_KEY, None)
    if found is None:
        wire = getattr(config, "workerinput", {}).get(WORKERINPUT_KEY)
        if wire is not None:
            found = config.stash[_KEY] = RunContext.from_wire(wire)
    return found


def target(config: pytest.Config) -> Target:
    """The server under test: the run's, else as configured (option > env > file) for a session outside a run."""
    context = get(config)
    if context is not None:
        return context.target
    return load_target(base_url=config.getoption("--base-url"), api_key=config.getoption("--api-key"),
                       target_file=config.getoption("--target"))
