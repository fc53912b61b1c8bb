"""Reporting: the result model of a run and every report rendered from it.

Per test, from the reports (works under xdist: the controller receives them): the
outcome (``outcomes.Outcome``, never conflated), the phase, message, details, the redacted
request/response transcript and its curl reproductions, the requirement (docstring,
collected at collection time), resource, level and expectation.

At the end of the session (after cleanup): ``summary.json`` (report/summary.py),
``report.html`` (report/html.py), the exit code from the gate (report/gate.py) and the
terminal table. Allure results get severity/feature/tag labels, and parametrized items
without a pytest callspec (schemathesis' one item per operation) a ``case`` parameter,
so that each has its own history id.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from flowise_conformance import run_context
from flowise_conformance.outcomes import Outcome
from flowise_conformance.plugins import gating
from flowise_conformance.plugins.terminal import selection_line, target_line
from flowise_conformance.redact import redact
from flowise_conformance.report import html as html_report
from flowise_conformance.report.gate import INTERRUPTED, VERDICT_LABEL
from flowise_conformance.report.summary import RunSummary, TestResult, iso_now, zero_counts

SEVERITY = {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}
_config: dict[str, pytest.Config] = {}


def _plugin_state(config: pytest.Config) -> dict[str, Any]:
    from flowise_conformance.pytest_plugin import _state_key

    return config.stash.get(_state_key, {})


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    _config["config"] = config
    if not config.pluginmanager.has_plugin("fc-junit-verdict"):
        config.pluginmanager.register(_JunitVerdict(), "fc-junit-verdict")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _config.get("config") is config:
        _config.pop("config")


def pytest_deselected(items: list[pytest.Item]) -> None:
    config = _config.get("config")
    summary = _plugin_state(config).get("summary") if config else None
    if summary is not None:
        summary.selection["deselected"] = summary.selection.get("deselected", 0) + len(items)


# ---------------------------------------------------------------- allure


def _allure_on(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _allure_on(config) or not _plugin_state(config).get("active"):
        return
    for item in items:
        level = item.get_closest_marker("level")
        resource = item.get_closest_marker("resource")
        if level is not None and level.args:
            item.add_marker(pytest.mark.allure_label(SEVERITY.get(level.args[0], "normal"), label_type="severity"))
            item.add_marker(pytest.mark.allure_label(level.args[0], label_type="tag"))
        if resource is not None and resource.args:
            item.add_marker(pytest.mark.allure_label(resource.args[0], label_type="feature"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A parametrized item that pytest gave no callspec still needs its own allure history id."""
    if not _allure_on(item.config) or hasattr(item, "callspec") or not item.name.endswith("]") or "[" not in item.name:
        return
    import allure

    allure.dynamic.parameter("case", item.name[item.name.index("[") + 1:-1])


def allure_transcript_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): a failure's transcript attached to its allure result (still open:
    the pipeline's wrapper runs inside allure's)."""
    if _allure_on(item.config) and report.when != "teardown":
        transcript = _sections(report, "transcript")
        if transcript:
            import allure

            allure.attach(redact(transcript), name="transcript (API key redacted)",
                          attachment_type=allure.attachment_type.TEXT)


# ---------------------------------------------------------------- per-test results


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return text.removeprefix("Skipped: ")


_EXC_LINE = re.compile(r"^[\w.]+(?:Error|Exception|Failure|FailureGroup|Group|Exit)\b.*?: ")


def failure_message(text: str, limit: int = 12) -> str:
    """The failure itself out of a traceback: pytest's final 'E' block, else the exception line(s)."""
    lines = text.splitlines()
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines + [""]:
        if line.startswith("E ") or line == "E":
            current.append(line[1:].strip())
        elif current:
            blocks.append(current)
            current = []
    found = [b for b in blocks if b]
    if found:
        return _short_type("\n".join(found[-1][:limit]).strip())
    bare = [line.strip().lstrip("|").strip() for line in lines]
    for i, line in enumerate(bare):
        if _EXC_LINE.match(line):
            out = []
            for follow in bare[i:i + limit]:
                if follow.startswith(("Reproduce with", "(1 sub-exception", "+-")):
                    break
                out.append(follow)
            return _short_type("\n".join(out).strip())
    rest = [line for line in bare if line]
    return rest[-1] if rest else ""


def _short_type(message: str) -> str:
    """'flowise_conformance.checks.core.ConformanceFailure: x' -> 'ConformanceFailure: x'."""
    return re.sub(r"^(?:[a-z_][\w]*\.)+(?=[A-Z]\w*: )", "", message)


def _crash_line(report: pytest.TestReport) -> str:
    return redact(failure_message(report.longreprtext))


def _sections(report: pytest.TestReport, name: str) -> str:
    return "\n\n".join(text for title, text in report.sections if title == name)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _config.get("config")
    if config is None:
        return
    summary: RunSummary | None = _plugin_state(config).get("summary")
    if summary is None:
        return
    test_id = gating.canonical_id(config, report.nodeid)
    result = summary.tests.get(test_id)
    if result is None:
        props = dict(report.user_properties)
        try:
            entry = gating.expectations(config).lookup(test_id)
        except Exception:  # noqa: BLE001 - conflicting globs were reported at collection time
            entry = None
        result = summary.tests[test_id] = TestResult(
            test_id, resource=props.get("resource"), level=props.get("level"), mutating=bool(props.get("mutating")),
            requirement=str(props.get("requirement") or ""), expectation=entry.as_json() if entry else None,
        )
    result.duration_s += report.duration
    result.ended = result.ended or report.when == "call" or (report.when == "setup" and not report.passed)
    transcript = _sections(report, "transcript")
    note = _sections(report, "expectation")
    if transcript:
        result.transcript = transcript
    if getattr(report, "fc_outcome", None) == Outcome.XPASSED.value:
        _set(result, Outcome.XPASSED, report, redact(report.longreprtext).splitlines()[0], redact(report.longreprtext))
    elif report.when == "call" and report.passed and hasattr(report, "wasxfail"):
        _set(result, Outcome.XPASSED, report, f"XPASS: {report.wasxfail}", "")
    elif report.skipped and hasattr(report, "wasxfail"):
        _set(result, Outcome.XFAILED, report, str(report.wasxfail),
             f"what happened: {_crash_line(report)}\n\n{redact(report.longreprtext)}")
    elif report.skipped:
        if result.outcome == Outcome.PASSED:
            _set(result, Outcome.SKIPPED, report, _skip_reason(report) + (f" ({note})" if note else ""), "")
    elif report.failed:
        outcome = Outcome.FAILED if report.when == "call" else Outcome.ERROR
        details = redact(report.longreprtext) + (f"\n\n[expectation] {note}" if note else "")
        if result.outcome in (Outcome.FAILED, Outcome.XPASSED, Outcome.ERROR):
            result.details += f"\n\n--- {report.when} ---\n{details}"  # a teardown error after a failure
        else:
            _set(result, outcome, report, _crash_line(report), details)


def _set(result: TestResult, outcome: Outcome, report: pytest.TestReport, message: str, details: str) -> None:
    result.outcome = outcome
    result.phase = report.when
    result.message = message
    result.details = details


# ---------------------------------------------------------------- end of session


def pytest_collection_finish(session: pytest.Session) -> None:
    summary: RunSummary | None = _plugin_state(session.config).get("summary")
    if summary is not None and not _is_worker(session.config) and session.items:
        summary.planned = len(session.items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """Under xdist the controller collects nothing: the first worker's selection is what the run plans."""
    config = _config.get("config")
    summary: RunSummary | None = _plugin_state(config).get("summary") if config else None
    if summary is not None and summary.planned is None:
        summary.planned = len(ids)


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Ctrl-C or SIGTERM, not a ``pytest.exit`` (which pytest reports through this hook too)."""
    config = _config.get("config")
    if config is not None and excinfo.errisinstance(KeyboardInterrupt):
        _plugin_state(config)["keyboard_interrupt"] = True


def _interrupted(state: dict[str, Any]) -> bool:
    from flowise_conformance.plugins.safety.interrupts import signal_received

    return bool(state.get("keyboard_interrupt")) or signal_received()


def _unended_are_not_passes(summary: RunSummary) -> None:
    """A test the interrupt stopped in its call phase has only a passed setup on record: it did not pass."""
    for result in summary.tests.values():
        if not result.ended and result.outcome == Outcome.PASSED:
            result.outcome, result.phase = Outcome.SKIPPED, "call"
            result.message = "interrupted: the run stopped before this test ended"


class _JunitVerdict:
    """Before junit.xml is written (a module has one hook of a name): the verdict as testsuite properties."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from _pytest.junitxml import xml_key

        config = session.config
        state = _plugin_state(config)
        summary: RunSummary | None = state.get("summary")
        xml = config.stash.get(xml_key, None)
        if _is_worker(config) or summary is None or xml is None:
            return
        summary.interrupted = _interrupted(state)
        gate = summary.gate()
        xml.add_global_property("fc_verdict", gate.verdict)
        xml.add_global_property("fc_exit_code", str(gate.exit_code))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = _plugin_state(config)
    summary: RunSummary | None = state.get("summary")
    if _is_worker(config) or summary is None:
        return
    if exitstatus == pytest.ExitCode.USAGE_ERROR and not summary.tests:
        return  # a configuration error stopped the run before any test: there is nothing to report
    summary.finished = iso_now()
    summary.duration_s = time.monotonic() - state.get("t0", time.monotonic())
    summary.interrupted = _interrupted(state)
    if summary.interrupted:
        _unended_are_not_passes(summary)
    summary.cleanup_problems = [str(p) for p in state.get("cleanup_problems", [])]
    run_dir: Path = state["run"].run_dir
    data = summary.write(run_dir / "summary.json")
    html_report.write(run_dir / "report.html", data)
    state["written"] = data
    if summary.interrupted or int(session.exitstatus) in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = data["gate"]["exit_code"]  # interrupted: 130, also under plain pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _plugin_state(config)
    data: dict[str, Any] | None = state.get("written")
    if data is None or _is_worker(config):
        return
    tr = terminalreporter
    tr.section("flowise-conformance")
    tr.write_line(target_line(run_context.target(config), data.get("server_version")))
    tr.write_line(selection_line(data["selection"]))
    columns = list(zero_counts())
    width = max([16] + [len(r) + 2 for r in data["totals"]["by_resource"]])
    header = f"{'':<{width}}" + "".join(f"{c:>19}" for c in columns)
    for title, rows in (("resource", data["totals"]["by_resource"]), ("level", data["totals"]["by_level"])):
        tr.write_line(f"{title:<{width}}" + header[width:])
        for name, counts in rows.items():
            tr.write_line(f"{name:<{width}}" + "".join(f"{counts[c]:>19}" for c in columns))
    tr.write_line(f"{'total':<{width}}" + "".join(f"{data['counts'][c]:>19}" for c in columns))
    by_id = {t["id"]: t for t in data["tests"]}
    gate = data["gate"]
    for test_id in gate["warnings"]:
        tr.write_line(f"warning ({by_id[test_id]['level']} failed, not gating without --strict): {test_id}",
                      yellow=True)
    for test_id in gate["failing"]:
        test = by_id[test_id]
        tr.write_line(f"{test['outcome']} ({test['level']}): {test_id}: {test['message'][:160]}", red=True)
    for problem in data["cleanup"]["problems"]:
        tr.write_line(f"cleanup: {problem}", yellow=True)
    verdict = VERDICT_LABEL[gate["verdict"]]
    ran = (f"{len(data['tests'])} of {data['planned']} selected tests ran; " if data.get("planned") else
           f"{len(data['tests'])} tests ran; ") if gate["verdict"] == INTERRUPTED else ""
    tr.write_line(f"gate: {verdict} (exit {gate['exit_code']}): {ran}{len(gate['failing'])} gating, "
                  f"{len(gate['warnings'])} warning(s), {data['counts'][Outcome.XFAILED.value]} expected failure(s)",
                  bold=True, red=gate["verdict"] in ("fail", INTERRUPTED), green=gate["verdict"] == "pass")
    run_dir = state["run"].run_dir
    allure = getattr(config.option, "allure_report_dir", None)
    tr.write_line(f"reports: {run_dir}/summary.json, {run_dir}/report.html, {config.option.xmlpath}"
                  + (f", {allure}" if allure else ""))
