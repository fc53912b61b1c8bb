"""Text for the terminal: control characters a server sent are shown escaped, never obeyed.

A server's text (an answer quoted in an assertion message, its version string, an error it
caused) can carry escape sequences that clear the screen, set the window title, make links
(OSC 8) or query the cursor. Everything the run prints goes through ``RedactingStream``
(redact.py), which passes it through ``escape`` here: every C0 control but newline and tab,
DEL and every C1 control (U+0080-U+009F, CSI U+009B included) is written as ``\\xNN``.

On a terminal (``isatty``) pytest colours its own output with SGR sequences (``ESC [ ... m``)
and rewrites its collecting line with ``\\r``; those two are kept there (``keep_markup``),
so a server's SGR colour codes also pass on a terminal, and nothing else does.
"""
from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# pytest's own markup on a terminal: SGR colour sequences and the carriage return of rewritten lines
_MARKUP_OR_CONTROL = re.compile(r"(\x1b\[[0-9;]*m|\r)|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(char: str) -> str:
    return f"\\x{ord(char):02x}"


def escape(text: str, keep_markup: bool = False) -> str:
    """``text`` with its control characters (but newline and tab) written as ``\\xNN``; with ``keep_markup``,
    SGR colour sequences and carriage returns are kept as they are."""
    if not keep_markup:
        return CONTROL.sub(lambda m: _visible(m.group()), text)
    return _MARKUP_OR_CONTROL.sub(lambda m: m.group(1) or _visible(m.group()), text)
