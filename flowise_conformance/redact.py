r"""Secret redaction: the API key never reaches a report, a log or a reproduction, not even in pieces.

``register_secret(key)`` registers the key together with the forms it takes when it is
encoded on its way into an output: URL-encoded (path, query, form; either hex case), JSON-
escaped as different encoders write it (``\/``, ``\u0026``, everything as ``\uXXXX``), Python
repr escapes, XML/HTML-escaped, and base64 (standard and URL-safe, at every alignment inside
a larger blob). ``redact(text)`` / ``redact_bytes(data)`` replace, in every form:

- the whole form, and any run of PIECE or more of its characters (text that was cut, by us
  or by pytest, before it was redacted carries pieces; two pieces could rebuild the key);
- a prefix of EDGE or more characters just before a cut (``...``, ``…`` or the end of the
  text) and a suffix just after one (or at the start of the text).

``excerpt(text, limit)`` cuts text for a report only after redacting it.
"""
from __future__ import annotations

import base64
from bisect import bisect_left, bisect_right
import html
import json
import os
import re
import threading
from pathlib import Path
from typing import Any, AnyStr, Iterable, TextIO
from urllib.parse import quote, quote_plus

from flowise_conformance.terminal_text import escape

REDACTED = "[REDACTED]"
_secrets: set[str] = set()
_lock = threading.Lock()
MIN_DERIVED = 8  # a derived form shorter than this could match innocent text
PIECE = 10  # a run of this many characters of a form is redacted wherever it appears
EDGE = 4  # a prefix/suffix of a form this long is redacted where text was cut
BLOCK = PIECE // 2
_CUT = re.compile(r"\.\.\.|…")
_CUT_BYTES = re.compile("\\.\\.\\.|…".encode())


def _base64_cores(raw: bytes) -> set[str]:
    """The part of base64(prefix + raw + suffix) that depends on raw alone, for 0-2 prefix bytes."""
    cores: set[str] = set()
    n = len(raw)
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = -(-8 * offset // 6)  # ceil: the first char made of raw's bits only
        end = (8 * (offset + n)) // 6  # chars after this one mix in whatever follows
        core = encoded[start:end]
        cores.add(core)
        cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


def _lower_hex(encoded: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), encoded)


def _json_forms(value: str) -> set[str]:
    """A JSON string's body as common encoders write it."""
    plain = json.dumps(value)[1:-1]
    go = plain.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # Go, .NET
    every = "".join(c if c.isalnum() and c.isascii() else f"\\u{ord(c):04x}" for c in value)  # PHP-style hex escapes
    forms = {plain, go, json.dumps(value, ensure_ascii=False)[1:-1], every, every.upper().replace("\\U", "\\u")}
    return forms | {f.replace("/", "\\/") for f in forms}  # PHP and others escape "/"


def _repr_forms(value: str) -> set[str]:
    """How Python shows the value inside a repr (pytest's assertion messages, ``-l`` locals)."""
    return {repr(value)[1:-1], ascii(value)[1:-1], value.replace("\\", "\\\\").replace("'", "\\'"),
            value.replace("\\", "\\\\").replace('"', '\\"')}


def secret_forms(value: str) -> set[str]:
    """The key and every encoded form of it an output could carry."""
    urls = {quote(value, safe=""), quote(value), quote_plus(value)}
    forms = {value, html.escape(value), html.escape(value, quote=False)} | urls | {_lower_hex(u) for u in urls}
    forms |= _json_forms(value) | _repr_forms(value)
    raw = value.encode("utf-8")
    forms |= {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    forms |= _base64_cores(raw)
    return {f for f in forms if f == value or len(f) >= MIN_DERIVED}


class _Needles:
    """What to look for, for one set of forms, as str or as UTF-8 bytes.

    ``str.find`` of short blocks (C speed), then a check of the few places they occur: a
    PIECE-long run of a form always contains one of its BLOCK-long blocks at a multiple of
    BLOCK, so the scan needs no multi-pattern search library and stays fast on MB of reports.
    """

    def __init__(self, forms: Iterable[str], as_bytes: bool) -> None:
        encode = (lambda s: s.encode("utf-8")) if as_bytes else (lambda s: s)
        encoded = [encode(f) for f in forms]
        self.whole = sorted({f for f in encoded if len(f) < PIECE}, key=len, reverse=True)  # no pieces
        long = [f for f in encoded if len(f) >= PIECE]
        self.pieces = {f[i:i + PIECE] for f in long for i in range(len(f) - PIECE + 1)}
        self.blocks = sorted({f[i:i + BLOCK] for f in long for i in range(0, len(f) - BLOCK + 1, BLOCK)})
        self.prefixes = {f[:k] for f in encoded for k in range(EDGE, len(f))}
        self.suffixes = {f[-k:] for f in encoded for k in range(EDGE, len(f))}
        self.heads = sorted({f[:EDGE] for f in encoded})
        self.tails = sorted({f[-EDGE:] for f in encoded})
        self.longest = max((len(f) for f in encoded), default=0)
        self.cut = _CUT_BYTES if as_bytes else _CUT


_needles: dict[bool, _Needles] = {}


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        with _lock:
            before = len(_secrets)
            _secrets.update(secret_forms(value))
            if len(_secrets) != before:
                _needles.clear()


def _get_needles(as_bytes: bool) -> _Needles | None:
    with _lock:
        if not _secrets:
            return None
        found = _needles.get(as_bytes)
        if found is None:
            found = _needles[as_bytes] = _Needles(_secrets, as_bytes)
        return found


def _find_all(text: AnyStr, needle: AnyStr) -> list[int]:
    found = [text.find(needle)]
    while (at := text.find(needle, found[-1] + 1)) != -1:
        found.append(at)
    return found


def _spans(text: AnyStr, needles: _Needles) -> list[tuple[int, int]]:
    """Where the text carries a secret, whole or in pieces, as merged (start, end) spans."""
    found: list[tuple[int, int]] = []
    for needle in [n for n in needles.whole if n in text]:  # "in" first: most needles are absent
        found += [(at, at + len(needle)) for at in _find_all(text, needle)]
    for block in [b for b in needles.blocks if b in text]:
        for at in _find_all(text, block):
            for start in range(max(0, at + BLOCK - PIECE), at + 1):  # the runs that contain this block
                if text[start:start + PIECE] in needles.pieces:
                    found.append((start, start + PIECE))
    heads = [at for head in needles.heads if head in text for at in _find_all(text, head)]
    tails = [at + EDGE for tail in needles.tails if tail in text for at in _find_all(text, tail)]
    if heads or tails:  # where a form starts or ends: was it cut off there?
        cuts = list(needles.cut.finditer(text))
        befores = sorted({m.start() for m in cuts} | {len(text)})
        afters = sorted({m.end() for m in cuts} | {0})
        for at in heads:  # a prefix of a form, then a cut
            for edge in befores[bisect_left(befores, at + EDGE):bisect_right(befores, at + needles.longest)]:
                if text[at:edge] in needles.prefixes:
                    found.append((at, edge))
        for end in tails:  # a cut, then the rest of a form
            for edge in afters[bisect_left(afters, end - needles.longest):bisect_right(afters, end - EDGE)]:
                if text[edge:end] in needles.suffixes:
                    found.append((edge, end))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _replace(text: AnyStr, spans: list[tuple[int, int]], marker: AnyStr) -> AnyStr:
    if not spans:
        return text
    parts = []
    last = 0
    for start, end in spans:
        parts += [text[last:start], marker]
        last = end
    parts.append(text[last:])
    return text[:0].join(parts)


def redact(text: str) -> str:
    needles = _get_needles(False)
    return text if needles is None else _replace(text, _spans(text, needles), REDACTED)


def redact_bytes(data: bytes) -> bytes:
    needles = _get_needles(True)
    return data if needles is None else _replace(data, _spans(data, needles), REDACTED.encode())


def excerpt(text: str, limit: int, more: str = "… ({n} chars)") -> str:
    """At most ``limit`` characters of ``text`` for a report, redacted before it is cut.

    ``more`` (with ``{n}``, the full length) marks a cut.
    """
    needles = _get_needles(False)
    if len(text) <= limit:
        return redact(text)
    margin = needles.longest if needles is not None else 0
    head = text[:limit + margin]  # every form that starts before the cut ends inside the head
    spans = _spans(head, needles) if needles is not None else []
    cut = limit
    for start, end in spans:
        if start < cut < end:
            cut = end  # never cut inside a secret: redact it whole
    return _replace(head[:cut], [(s, min(e, cut)) for s, e in spans if s < cut], REDACTED) + more.format(n=len(text))


def redact_any(value: Any) -> Any:
    """Redact strings inside str/list/tuple/dict values (for report attributes of any shape)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_any(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_any(v) for v in value)
    if isinstance(value, dict):
        return {redact_any(k): redact_any(v) for k, v in value.items()}
    return value


class RedactingStream:
    """The terminal's stream (stdout, stderr, pytest's terminal writer): it redacts what it writes and shows
    control characters escaped (terminal_text.escape); everything else goes to the wrapped stream."""

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped
        try:
            self.markup = bool(wrapped.isatty())  # pytest's terminal writer sets it to its own (--color)
        except (AttributeError, ValueError):
            self.markup = False

    def write(self, text: str) -> int:
        self._wrapped.write(escape(redact(text), keep_markup=self.markup))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


def scrub_files(roots: Iterable[Path], since: float | None = None) -> list[Path]:
    """Redact every file under ``roots`` (modified at or after ``since``) in place; return those changed.

    The last line of defence: whatever wrote a report file, it leaves without the key.
    """
    changed: list[Path] = []
    if _get_needles(True) is None:  # no secret registered
        return changed
    for root in roots:
        root = Path(root)
        files = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in files:
            try:
                if since is not None and path.stat().st_mtime < since - 1:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            clean = redact_bytes(data)
            if clean != data:
                tmp = path.with_name(path.name + ".redacting")
                tmp.write_bytes(clean)
                os.replace(tmp, path)
                changed.append(path)
    return changed
