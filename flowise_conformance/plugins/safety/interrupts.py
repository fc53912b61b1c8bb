"""Ctrl-C and SIGTERM: the run stops within its budget, its workers with it, and says so.

The first signal raises ``RunInterrupted`` and starts the guard's stop budget (guard.py), so
the cleanup's requests are bounded; the second is acknowledged; the third quits at once. The
handlers are installed in pytest_configure and removed in pytest_unconfigure (plugin.py).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any

import pytest

from flowise_conformance.plugins.safety.guard import CONTROLLER_BUDGET, STOP_BUDGET, WORKER_BUDGET, guard



class RunInterrupted(KeyboardInterrupt):
    """The KeyboardInterrupt of a Ctrl-C or SIGTERM, saying so: pytest prints its message and, unlike
    for a plain KeyboardInterrupt, not the line of code the signal happened to land on."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}: the run stopped early, its reports are partial")


class _Interrupts:
    """SIGINT/SIGTERM: the first stops the run (KeyboardInterrupt) and starts the stop budget;
    the second is acknowledged; the third quits at once without cleanup.

    The controller of an xdist run passes the signal on to its workers (a ``kill -INT`` of
    the controller alone must stop them too); a worker stops on the first and ignores the rest.
    """

    def __init__(self) -> None:
        self.count = 0
        self.previous: dict[int, Any] = {}
        self.hint = ""
        self.config: pytest.Config | None = None
        self.worker = False
        self.worker_pids: set[int] = set()
        self.at: float | None = None
        self.signum = signal.SIGINT

    def say(self, text: str) -> None:
        """Write to the real stderr, past pytest's capture."""
        capman = self.config.pluginmanager.get_plugin("capturemanager") if self.config is not None else None
        try:
            if capman is not None:
                with capman.global_and_fixture_disabled():
                    sys.stderr.write(text)
                    sys.stderr.flush()
                return
        except Exception:  # noqa: BLE001 - never let a message stop the stop
            pass
        sys.stderr.write(text)
        sys.stderr.flush()

    def handler(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.at is None:
            self.at = time.monotonic()
            self.signum = signum
        active = guard()
        if self.worker:
            if self.count == 1:
                if active is not None:
                    active.begin_stop(WORKER_BUDGET)
                raise RunInterrupted(signum)
            return
        if active is not None:
            active.begin_stop(CONTROLLER_BUDGET if self.worker_pids else STOP_BUDGET)
        for pid in list(self.worker_pids) if self.count == 1 else []:
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass
        if self.count == 1:
            self.say("\nflowise-conformance: interrupted: stopping, deleting what this run created, "
                     "writing partial reports (within 10 s)\n")
            raise RunInterrupted(signum)
        if self.count == 2:
            self.say("flowise-conformance: still cleaning up; interrupt once more to quit at once\n")
            return
        self.say(f"flowise-conformance: quitting without cleanup; later run: {self.hint}\n")
        os._exit(130)

    def install(self, config: pytest.Config) -> None:
        self.config = config
        self.worker = hasattr(config, "workerinput")
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[sig] = signal.signal(sig, self.handler)
            except (ValueError, OSError):
                pass

    def remove(self) -> None:
        for sig, previous in self.previous.items():
            try:
                signal.signal(sig, previous)
            except (ValueError, OSError, TypeError):
                pass
        self.previous.clear()
        self.config = None
        self.worker_pids.clear()
        self.count = 0
        self.at = None


INTERRUPTS = _Interrupts()


def signal_received() -> bool:
    """Whether a SIGINT/SIGTERM stopped this run (also when a library swallowed its KeyboardInterrupt)."""
    return INTERRUPTS.at is not None

