"""Expectations files: known deviations of one target, kept outside the tests (docs/expectations.md).

A file is TOML::

    [about]                       # optional, free text: which server this file describes
    target = "Flowise 3.1.4"

    [[expect]]
    test = "chatflows/test_x.py::test_y"   # node id relative to suites/, or a glob (* and ?)
    outcome = "failed"                     # failed | error | skipped
    reason = "one sentence: how the server deviates from the contract"
    evidence = "what it answered: request -> status, content type, body"

This module is the only place that knows the grammar. ``load`` validates every field and
raises ``UsageError`` naming the file, the entry and the field. ``Expectations.lookup``
finds the entry for a test id; ``Expectations.unknown`` lists the entries that match no
test of the suites at all (a config error: exit code 2).
"""
from __future__ import annotations

import ast
import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from flowise_conformance.errors import UsageError
from flowise_conformance.outcomes import Outcome

# what an entry may promise; the test's actual outcome is compared with it
EXPECTABLE = (Outcome.FAILED.value, Outcome.ERROR.value, Outcome.SKIPPED.value)
_ENTRY_KEYS = {"test", "outcome", "reason", "evidence", "breaks"}
_TOP_KEYS = {"about", "expect"}
_GLOB_CHARS = ("*", "?")


@dataclass(frozen=True)
class Entry:
    test: str
    outcome: str
    reason: str
    evidence: str
    source: str  # "<file>#<n>" (1-based entry number) for messages and reports

    @property
    def is_glob(self) -> bool:
        return any(c in self.test for c in _GLOB_CHARS)

    def matches(self, test_id: str) -> bool:
        """Exact node id (a parametrized test's base id covers its cases; a file covers its tests) or glob."""
        if self.is_glob:
            return fnmatch.fnmatchcase(test_id, self.test)
        return test_id == self.test or test_id.startswith((self.test + "::", self.test + "["))

    def as_json(self) -> dict[str, str]:
        return {"test": self.test, "outcome": self.outcome, "reason": self.reason, "evidence": self.evidence,
                "source": self.source}


@dataclass
class Expectations:
    entries: list[Entry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def lookup(self, test_id: str) -> Entry | None:
        """The entry for a test: an exact id beats a glob; globs that disagree are a config error."""
        exact = [e for e in self.entries if not e.is_glob and e.matches(test_id)]
        if exact:
            # the most specific exact entry: a node id beats its file or its parametrized base
            return max(exact, key=lambda e: len(e.test))
        globs = [e for e in self.entries if e.is_glob and e.matches(test_id)]
        if len({e.outcome for e in globs}) > 1:
            raise UsageError(f"expectations: {test_id} is matched by globs with different outcomes: "
                             + ", ".join(f"{e.source} ({e.test!r} -> {e.outcome})" for e in globs))
        return globs[0] if globs else None

    def unknown(self, test_ids: Iterable[str]) -> list[Entry]:
        ids = list(test_ids)
        return [e for e in self.entries if not any(e.matches(t) for t in ids)]


def _text(value: object, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: '{name}' must be a non-empty string, got {value!r}")
    return value.strip()


def parse(text: str, source: str) -> list[Entry]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{source}: not valid TOML: {exc}") from None
    extra = set(data) - _TOP_KEYS
    if extra:
        raise UsageError(f"{source}: unknown top-level key(s) {', '.join(sorted(extra))} "
                         f"(allowed: [about] and [[expect]] entries)")
    about = data.get("about", {})
    if not isinstance(about, dict) or not all(isinstance(v, str) for v in about.values()):
        raise UsageError(f"{source}: [about] must be a table of strings")
    raw = data.get("expect", [])
    if not isinstance(raw, list):
        raise UsageError(f"{source}: 'expect' must be an array of tables: write [[expect]]")
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for n, item in enumerate(raw, 1):
        where = f"{source}: [[expect]] #{n}"
        if not isinstance(item, dict):
            raise UsageError(f"{where}: must be a table")
        unknown = set(item) - _ENTRY_KEYS
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                             f"(allowed: {', '.join(sorted(_ENTRY_KEYS))})")
        test = _text(item.get("test"), where, "test")
        if test.startswith(("suites/", "/")) or "\\" in test:
            raise UsageError(f"{where}: test {test!r} must be a node id relative to suites/ "
                             f"(e.g. 'chatflows/test_x.py::test_y')")
        outcome = _text(item.get("outcome"), where, "outcome")
        if outcome not in EXPECTABLE:
            raise UsageError(f"{where}: outcome {outcome!r} is not one of {', '.join(EXPECTABLE)}")
        entry = Entry(test, outcome, _text(item.get("reason"), where, "reason"),
                      _text(item.get("evidence"), where, "evidence"), f"{source}#{n}")
        if test in seen:
            raise UsageError(f"{where}: test {test!r} is listed twice (also {seen[test]})")
        seen[test] = entry.source
        entries.append(entry)
    return entries


def load(files: Sequence[str | Path]) -> Expectations:
    """Reads and validates the files in order; a test listed in two files is a config error."""
    out = Expectations()
    seen: dict[str, str] = {}
    for name in files:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"expectations file {name}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"expectations file {name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                             f"at offset {exc.start})") from None
        for entry in parse(text, str(name)):
            if entry.test in seen:
                raise UsageError(f"{entry.source}: test {entry.test!r} is listed twice (also {seen[entry.test]})")
            seen[entry.test] = entry.source
            out.entries.append(entry)
        out.files.append(str(name))
    return out


def static_test_ids(suites: Path) -> list[str]:
    """Test ids defined in the suites, read from the source without importing it.

    Used when a run collects only part of the suites: an entry outside the collected part
    is still known if the function it names exists. Parametrization ids are not visible
    here, so ``file::test[...]`` is checked as ``file::test``.
    """
    ids: list[str] = []
    for path in sorted(suites.rglob("*.py")):
        if not (path.name.startswith("test_") or path.name.endswith("_test.py")):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        rel = path.relative_to(suites).as_posix()
        ids.append(rel)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                ids.append(f"{rel}::{node.name}")
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                        ids.append(f"{rel}::{node.name}::{sub.name}")
    return ids


def unknown_statically(entries: Sequence[Entry], suites: Path) -> list[Entry]:
    """Entries that name no test function defined in the suites (parametrization ids ignored)."""
    ids = static_test_ids(suites)
    out = []
    for entry in entries:
        if entry.is_glob:
            # a glob into parametrization ids ("test_api[POST*") is checked up to its "["
            pattern = entry.test.split("[", 1)[0] + ("*" if "[" in entry.test else "")
            if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
                out.append(entry)
            continue
        base = entry.test.split("[", 1)[0]
        if base not in ids:
            out.append(entry)
    return out
