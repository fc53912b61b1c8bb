"""Secret redaction: the API key never reaches a report, a log or a reproduction.

``register_secret(key)`` registers the key together with the forms it takes when it is
encoded on its way into an output: URL-encoded (path, query, form), JSON- and XML/HTML-
escaped, and base64 (standard and URL-safe, at every alignment inside a larger blob).
``redact(text)`` / ``redact_bytes(data)`` replace every registered form.
"""
from __future__ import annotations

import base64
import html
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable, TextIO
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
_secrets: set[str] = set()
_lock = threading.Lock()
MIN_DERIVED = 8  # a derived form shorter than this could match innocent text


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


def secret_forms(value: str) -> set[str]:
    """The key and every encoded form of it an output could carry."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value), json.dumps(value)[1:-1],
             html.escape(value), html.escape(value, quote=False)}
    raw = value.encode("utf-8")
    forms |= {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    forms |= _base64_cores(raw)
    return {f for f in forms if f == value or len(f) >= MIN_DERIVED}


def register_secret(value: str | None) -> None:
    if value and len(value) >= 4:
        with _lock:
            _secrets.update(secret_forms(value))


def _ordered() -> list[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)


def redact(text: str) -> str:
    for secret in _ordered():
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_bytes(data: bytes) -> bytes:
    for secret in _ordered():
        needle = secret.encode("utf-8")
        if needle in data:
            data = data.replace(needle, REDACTED.encode())
    return data


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
    """A text stream that redacts what it writes; everything else goes to the wrapped stream."""

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped

    def write(self, text: str) -> int:
        self._wrapped.write(redact(text))
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
    if not _ordered():
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
