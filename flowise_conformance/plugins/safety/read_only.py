"""Read-only mode (``--read-only``): state-changing tests are skipped, and the guard refuses any write.

A test is state-changing when it is marked ``mutating`` or uses the ``tracker`` fixture
(directly or through another fixture, e.g. ``chatflow``): the tracker owns created objects.
The guard (guard.py) refuses whatever POST, PUT, PATCH or DELETE an unmarked test still sends.
"""
from __future__ import annotations

from typing import Any

import pytest

READ_ONLY_REASON = "read-only mode: this test sends state-changing requests (POST/PUT/PATCH/DELETE)"


def add_option(parser: pytest.Parser) -> None:
    group = parser.getgroup("flowise-conformance")
    group.addoption("--read-only", action="store_true", default=False,
                    help="send no state-changing request: tests marked mutating are skipped, and any POST, PUT, "
                         "PATCH or DELETE is refused (the test fails as a harness error)")


def skip_state_changing(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason=READ_ONLY_REASON)
    for item in items:
        # marked, or it uses the tracker (directly or through a fixture): it exists to own created objects
        if item.get_closest_marker("mutating") is not None or "tracker" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def summary_line(terminalreporter: Any) -> str:
    skipped = sum(1 for r in terminalreporter.stats.get("skipped", [])
                  if isinstance(r.longrepr, tuple) and READ_ONLY_REASON in str(r.longrepr[2]))
    return f"read-only mode: {skipped} state-changing test(s) skipped; no POST, PUT, PATCH or DELETE was sent"
