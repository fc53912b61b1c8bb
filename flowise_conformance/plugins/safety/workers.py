"""xdist: workers get the controller's inventory, and the controller knows its workers' pids.

The controller lists the target once (inventory.py) and hands the ids to each worker; it keeps
each worker's pid to pass a Ctrl-C on (interrupts.py), and after an interrupt waits for its
workers only until WORKERS_WAIT after the signal. Registered by plugin.py when xdist is loaded.
"""
from __future__ import annotations

import time
from typing import Any

import pytest

from flowise_conformance.plugins.safety.guard import WORKERS_WAIT
from flowise_conformance.plugins.safety.interrupts import INTERRUPTS

class XdistHooks:
    def __init__(self, foreign: frozenset[str]) -> None:
        self.foreign = foreign

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["fc_foreign_ids"] = sorted(self.foreign)

    def pytest_testnodeready(self, node: Any) -> None:
        popen = getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None)  # a popen gateway
        pid = getattr(popen, "pid", None)
        if isinstance(pid, int):
            INTERRUPTS.worker_pids.add(pid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """After an interrupt, wait for the workers only until WORKERS_WAIT after the signal."""
        if INTERRUPTS.at is None:
            return
        manager = getattr(session.config.pluginmanager.get_plugin("dsession"), "nodemanager", None)
        if manager is not None:
            manager.EXIT_TIMEOUT = max(0.5, INTERRUPTS.at + WORKERS_WAIT - time.monotonic())

