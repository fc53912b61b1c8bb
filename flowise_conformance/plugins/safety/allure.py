"""Allure redaction: the API key never reaches an Allure result, container or attachment file.

allure-pytest writes its files through ``AllureFileLogger``; its methods are replaced here by
redacting ones. This is a pytest plugin of its own (pytest_plugin.py lists it) because the
patch must be in place before allure-pytest's pytest_configure registers its file logger
(pluggy binds the hook methods then): ``tryfirst`` here, undone in pytest_unconfigure, nothing
at import. With no secret registered redaction changes nothing, so the patch is inert outside
our runs. The private ``_report_item`` is used in ``_patch_report_item`` only (its self-test in
tests/test_safety_units.py fails when allure-python-commons changes it).
"""
from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest

from flowise_conformance.redact import redact, redact_any, redact_bytes, scrub_files

_HOOKS = ("report_attached_data", "report_attached_file")
_saved: dict[str, Any] = {}  # the replaced methods, while patched
_depth: list[None] = []  # one entry per configured session (a pytest run inside a test nests)


def _patch_report_item(logger_class: type) -> None:
    """Private API adapter: ``AllureFileLogger._report_item(item)`` writes one result/container JSON file."""
    def _report_item(self: Any, item: Any) -> None:
        from attr import asdict

        filename = item.file_pattern.format(prefix=uuid.uuid4())
        data = redact_any(asdict(item, filter=lambda _, v: v or v is False))
        tmp = self._report_dir / f"{filename}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf8")
        os.replace(tmp, self._report_dir / filename)

    _saved["_report_item"] = logger_class.__dict__["_report_item"]  # KeyError: the library changed
    logger_class._report_item = _report_item  # type: ignore[attr-defined]


def patch_allure() -> None:
    """Make AllureFileLogger redact what it writes (once per process; counted for nested sessions)."""
    try:
        from allure_commons.logger import AllureFileLogger
    except ImportError:
        return
    _depth.append(None)
    if _saved:
        return
    original_data = AllureFileLogger.report_attached_data
    original_file = AllureFileLogger.report_attached_file

    def report_attached_data(self: Any, body: Any, file_name: str) -> None:
        body = redact(body) if isinstance(body, str) else redact_bytes(body) if isinstance(body, bytes) else body
        original_data(self, body=body, file_name=file_name)

    def report_attached_file(self: Any, source: Any, file_name: str) -> None:
        original_file(self, source=source, file_name=file_name)
        scrub_files([self._report_dir / file_name])

    _patch_report_item(AllureFileLogger)
    # pluggy reads the hookimpl marker from the function: keep it on the replacements
    for name, fn in zip(_HOOKS, (report_attached_data, report_attached_file)):
        _saved[name] = AllureFileLogger.__dict__[name]
        marker = getattr(_saved[name], "allure_impl", None)
        if marker is not None:
            fn.allure_impl = marker  # type: ignore[attr-defined]
        setattr(AllureFileLogger, name, fn)


def unpatch_allure() -> None:
    """Undo patch_allure once the last session that asked for it has ended."""
    if _depth:
        _depth.pop()
    if _depth or not _saved:
        return
    from allure_commons.logger import AllureFileLogger

    for name, method in _saved.items():
        setattr(AllureFileLogger, name, method)
    _saved.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    patch_allure()


def pytest_unconfigure(config: pytest.Config) -> None:
    unpatch_allure()
