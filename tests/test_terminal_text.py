"""The terminal stream shows a server's control characters escaped; on a terminal it keeps pytest's colours."""
from __future__ import annotations

import io

from flowise_conformance.redact import RedactingStream

HOSTILE = "v\x1b[2J\x1b]0;title\x07\x1b]8;;http://x\x1b\\l\x9b6n\x08\r\tok\n"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_every_control_character_escaped():
    """Not a terminal (a pipe, a CI log): every control but newline and tab is written as \\xNN, SGR included."""
    sink = io.StringIO()
    RedactingStream(sink).write(HOSTILE + "\x1b[31mred\x1b[0m")
    expected = ("v\\x1b[2J\\x1b]0;title\\x07\\x1b]8;;http://x\\x1b\\l\\x9b6n\\x08\\x0d\tok\n"
                "\\x1b[31mred\\x1b[0m")
    assert sink.getvalue() == expected, f"Expected {expected!r}\nReceived {sink.getvalue()!r}"


def test_a_terminal_keeps_colours_and_carriage_returns_only():
    """On a terminal, SGR colours (pytest's markup) and \\r (its rewritten lines) pass; clear screen, titles,
    links, cursor queries and C1 controls are still escaped."""
    sink = _Tty()
    RedactingStream(sink).write("\x1b[31mred\x1b[0m " + HOSTILE)
    expected = ("\x1b[31mred\x1b[0m v\\x1b[2J\\x1b]0;title\\x07\\x1b]8;;http://x\\x1b\\l\\x9b6n\\x08\r\tok\n")
    assert sink.getvalue() == expected, f"Expected {expected!r}\nReceived {sink.getvalue()!r}"
