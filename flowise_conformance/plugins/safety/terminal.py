"""Terminal redaction: what pytest's terminal reporter writes passes a RedactingStream.

pytest's TerminalWriter keeps its stream in the private ``_file``; ``redact_terminal`` is the
one place that touches it (its self-test in tests/test_safety_adapters.py fails when pytest
changes it). Called in pytest_configure (plugin.py).
"""
from __future__ import annotations

from typing import Any

from flowise_conformance.redact import RedactingStream


def redact_terminal(writer: Any) -> None:
    """Private API adapter: wrap ``TerminalWriter._file`` once; our colours kept, a server's escaped."""
    if writer is None or not hasattr(writer, "_file"):
        return
    if not isinstance(writer._file, RedactingStream):
        writer._file = RedactingStream(writer._file)
    writer._file.markup = bool(getattr(writer, "hasmarkup", False))
