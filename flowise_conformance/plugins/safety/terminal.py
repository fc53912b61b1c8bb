"""Terminal redaction: what pytest's terminal reporter writes passes a RedactingStream.

pytest's TerminalReporter keeps its writer in the private ``_tw``, the writer its stream in the
private ``_file``; ``redact_terminal`` is the one place that touches them (its self-test in
tests/test_safety_units.py fails when pytest changes them). Called in pytest_configure (plugin.py).
"""
from __future__ import annotations

from typing import Any

from flowise_conformance.redact import RedactingStream


def redact_terminal(reporter: Any) -> None:
    """Private API adapter: wrap ``reporter._tw._file`` once; our colours kept, a server's escaped."""
    writer = getattr(reporter, "_tw", None)
    if writer is None or not hasattr(writer, "_file"):
        return
    if not isinstance(writer._file, RedactingStream):
        writer._file = RedactingStream(writer._file)
    writer._file.markup = bool(getattr(writer, "hasmarkup", False))
