"""Report redaction: the API key out of every test report and, at the end, every report file.

Each report is redacted as it is made (the refusal stage of plugins/outcome.py's pipeline) and again first thing when it is
logged (``RedactReports``, on the xdist controller too), so junit, the terminal and the summary
get it clean; ``scrub_reports`` then rewrites the files the run wrote (junit, summary, Allure,
HTML) in case a library wrote the key by a way the hooks do not see.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flowise_conformance.redact import redact, redact_any, scrub_files


def redact_report(report: pytest.TestReport) -> None:
    """The key out of everything a report carries: sections, longrepr, properties, xfail reason."""
    report.sections = [(redact(name), redact(text)) for name, text in report.sections]
    if isinstance(report.longrepr, tuple):
        report.longrepr = redact_any(report.longrepr)
    elif isinstance(report.longrepr, str):
        report.longrepr = redact(report.longrepr)
    elif report.longrepr is not None:
        text = str(report.longrepr)
        if redact(text) != text:
            report.longrepr = redact(text)
    report.user_properties = [redact_any(p) for p in report.user_properties]
    if hasattr(report, "wasxfail"):
        report.wasxfail = redact(str(report.wasxfail))


class RedactReports:
    """First to see each report (controller included, for xdist): junit, terminal and summary get it clean."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        redact_report(report)


def scrub_reports(config: pytest.Config, run: Any, since: float) -> None:
    """Redact the key from every report file this run wrote since ``since`` (junit, summary, Allure, HTML, ...)."""
    roots: list[Path] = []
    if run is not None:
        roots.append(run.run_dir)
    for option in ("xmlpath", "allure_report_dir", "htmlpath"):
        value = getattr(config.option, option, None)
        if value:
            roots.append(Path(value))
    scrub_files(roots, since=since)
