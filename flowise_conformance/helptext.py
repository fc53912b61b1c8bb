"""Help text from docstrings: the docstrings are reST, a terminal shows plain text."""
from __future__ import annotations

import re

_LITERAL = re.compile(r"``(.+?)``")
_ROLE = re.compile(r":[a-z]+:`~?(.+?)`")


def plain(text: str) -> str:
    """``x`` and :func:`x` as x."""
    return _ROLE.sub(r"\1", _LITERAL.sub(r"\1", text))


def paragraphs(doc: str, start: int, stop: int | None = None) -> str:
    """Paragraphs start..stop of a docstring, as plain text (for a RawDescriptionHelpFormatter)."""
    return plain("\n\n".join(doc.strip().split("\n\n")[start:stop]))
