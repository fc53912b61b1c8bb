"""Log redaction: a log record's message is redacted when the record is made.

Whatever a library logs (httpx, urllib3, schemathesis) may carry the API key; one record
factory, installed in pytest_configure and removed in pytest_unconfigure (plugin.py), takes it
out before any handler (pytest's log capture, a file) sees it.
"""
from __future__ import annotations

import logging
from typing import Any

from flowise_conformance.redact import redact

_record_factory: dict[str, Any] = {}


def install_log_redaction() -> None:
    if _record_factory:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logging's business
            return record
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return record

    _record_factory["previous"] = previous
    logging.setLogRecordFactory(factory)


def remove_log_redaction() -> None:
    if "previous" in _record_factory:
        logging.setLogRecordFactory(_record_factory.pop("previous"))
