"""Gating: selection by profile and level, expectations, honest outcomes, the exit code.

Options (plain pytest and ``flowise-conformance run`` alike):
    --profile NAME       core | full | <resource>; repeatable or comma-separated (union). Default: full
    --level LEVEL        MUST | SHOULD | MAY: run tests of this level and the stricter ones. Default: MAY (all)
    --strict-levels      SHOULD and MAY failures fail the gate too (``flowise-conformance run --strict``)
    --expectations FILE  known deviations of the target (docs/expectations.md); repeatable
    --rerun-failed       only the failed, errored and stale tests of the last run in --report-dir

Outcomes (``outcomes.Outcome``): a test listed in an expectations file that fails as
listed is reported as an expected failure (pytest's xfail: ``x`` on the terminal,
``<skipped type="pytest.xfail">`` in junit.xml); one that passes is a stale expectation
(reported as failed, with a message saying to update the file). Every junit testcase
carries its outcome as the property ``fc_outcome``.

Exit code (``report.gate``): 1 when a MUST test failed, any test errored or an expectation
is stale (SHOULD/MAY failures too with --strict-levels); else 0. An expectations entry that
matches no test of the suites, a bad expectations file, an unknown profile or
--rerun-failed without a previous run end the run before any test with pytest's usage
error (4), which ``flowise-conformance run`` reports as 2.
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, Iterable

import pytest

from flowise_conformance import paths
from flowise_conformance.errors import UsageError
from flowise_conformance.expectations import Entry, Expectations, load, unknown_statically
from flowise_conformance.outcomes import LEVELS, Outcome
from flowise_conformance.resources import CORE_RESOURCES, all_resources

PROFILES_DOC = "core (MUST tests of " + ", ".join(CORE_RESOURCES) + "), full (everything), or a resource name"
RERUN_OUTCOMES = (Outcome.FAILED.value, Outcome.ERROR.value, Outcome.XPASSED.value)
CONFIG_ERROR = int(pytest.ExitCode.USAGE_ERROR)  # `flowise-conformance run` turns it into exit code 2

_gating_key = pytest.StashKey[dict[str, Any]]()
_entry_key = pytest.StashKey[Entry]()
_seen_key = pytest.StashKey[dict[str, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flowise-conformance gating")
    group.addoption("--profile", action="append", default=None, metavar="NAME",
                    help=f"select a profile: {PROFILES_DOC}; repeatable (union). Default: full")
    group.addoption("--level", default=None, choices=LEVELS, type=str.upper,
                    help="run tests of this requirement level and the stricter ones (MUST < SHOULD < MAY). Default: MAY")
    group.addoption("--strict-levels", action="store_true", default=False,
                    help="SHOULD and MAY failures fail the gate too (default: they are warnings)")
    group.addoption("--expectations", action="append", default=None, metavar="FILE",
                    help="expectations file (TOML) of the target's known deviations; repeatable")
    group.addoption("--rerun-failed", action="store_true", default=False,
                    help="run only the failed, errored and stale tests of the last run in --report-dir")


# ---------------------------------------------------------------- state and ids


def state(config: pytest.Config) -> dict[str, Any]:
    return config.stash.setdefault(_gating_key, {})


def expectations(config: pytest.Config) -> Expectations:
    found: Expectations = state(config).get("expectations") or Expectations()
    return found


def strict(config: pytest.Config) -> bool:
    return bool(config.getoption("--strict-levels", False))


def canonical_id(config: pytest.Config, nodeid: str) -> str:
    """The node id relative to suites/ (how expectations, summaries and comparisons name a test)."""
    cache: dict[str, str] = state(config).setdefault("ids", {})
    file_part, sep, rest = nodeid.partition("::")
    if file_part not in cache:
        rel = file_part
        suites = _suites_root(config)
        try:
            if suites is not None:
                rel = (config.rootpath / file_part).resolve().relative_to(suites).as_posix()
        except ValueError:
            pass
        cache[file_part] = rel
    return cache[file_part] + sep + rest


def requirement_of(item: pytest.Item) -> str:
    """The first paragraph of the test's docstring: the requirement it checks."""
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ").strip()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_worker(config) and bool(getattr(config.option, "numprocesses", None)) \
        and config.pluginmanager.has_plugin("xdist")


def _suites_root(config: pytest.Config) -> Path | None:
    from flowise_conformance.pytest_plugin import _state_key, suites_root

    return suites_root(config) if _state_key in config.stash else None


def _active(config: pytest.Config) -> bool:
    from flowise_conformance.pytest_plugin import _state_key

    return bool(config.stash.get(_state_key, {}).get("active"))


# ---------------------------------------------------------------- configure


def pytest_configure(config: pytest.Config) -> None:
    own = state(config)
    files = config.getoption("--expectations") or []
    try:
        own["expectations"] = load(files) if files else Expectations()
    except UsageError as exc:
        raise pytest.UsageError(f"flowise-conformance: {exc}") from None
    own["profiles"] = _profiles(config)
    from flowise_conformance.pytest_plugin import _state_key

    summary = config.stash.get(_state_key, {}).get("summary")
    if summary is not None:
        summary.strict = strict(config)
        summary.selection.update({
            "profiles": own["profiles"] or ["full"], "level": config.getoption("--level"),
            "strict": summary.strict, "expectations": [str(Path(f).resolve()) for f in files],
        })


def _profiles(config: pytest.Config) -> list[str]:
    try:
        return canonical_profiles(config.getoption("--profile") or [])
    except UsageError as exc:
        raise pytest.UsageError(f"flowise-conformance: {exc}") from None


# ---------------------------------------------------------------- profile names

_RESOURCE_MARKER = re.compile(r"""mark\.resource\(\s*["']([^"']+)["']""")


def _fold(name: str) -> str:
    """document_store, Document-Store and document-store are one name."""
    return name.strip().lower().replace("_", "-")


def known_resources() -> set[str]:
    """The resource names the suites mark tests with, read from their sources and the registry (the spec's tags).

    Read statically so that a wrong --profile is refused before a server starts or a test is collected.
    """
    found = {r.name for r in all_resources()}  # fuzz items are marked with their operation's tag
    for source in paths.suites_dir().rglob("*.py"):
        found.update(_RESOURCE_MARKER.findall(source.read_text(encoding="utf-8")))
    return found


def canonical_profiles(values: Iterable[str]) -> list[str]:
    """Profile names (repeated or comma-separated, any case, - or _) as the suites spell them; UsageError if unknown."""
    names = [n.strip() for value in values for n in value.split(",") if n.strip()]
    if not names:
        return []
    spelled = {_fold(n): n for n in sorted(known_resources()) + ["core", "full"]}
    unknown = [n for n in names if _fold(n) not in spelled]
    if unknown:
        raise UsageError(f"unknown profile(s) {', '.join(unknown)}: profiles are {PROFILES_DOC} "
                         f"(resources: {', '.join(sorted(set(spelled.values()) - {'core', 'full'}))})")
    return list(dict.fromkeys(spelled[_fold(n)] for n in names))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist the controller collects nothing: it checks what it can from the sources."""
    config = session.config
    if not _is_xdist_controller(config) or not _active(config):
        return
    _check_unknown(config, [], complete=False)
    if config.getoption("--rerun-failed"):
        _record_rerun(config, _rerun_ids(config))


# ---------------------------------------------------------------- collection


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterable[None]:
    active = _active(config)
    if active:
        # before any deselection (-k, -m, --fuzz-operation): the whole collected universe
        ids = [canonical_id(config, item.nodeid) for item in items]
        if not _is_worker(config):
            _check_unknown(config, ids, complete=_collected_all(config))
        table = expectations(config)
        for item, test_id in zip(items, ids):
            try:
                entry = table.lookup(test_id) if table else None
            except UsageError as exc:
                pytest.exit(f"flowise-conformance: {exc}", returncode=CONFIG_ERROR)
            if entry is not None:
                item.stash[_entry_key] = entry
    result = yield
    if active:
        _select(config, items)
    return result


def _collected_all(config: pytest.Config) -> bool:
    """Whether the session collected the whole suites directory (not a part of it)."""
    suites = _suites_root(config)
    if suites is None:
        return False
    named = paths.command_line_paths(config.args, Path(config.invocation_params.dir))
    return any(not node and (path == suites or path in suites.parents) for path, node in named)


def _check_unknown(config: pytest.Config, collected_ids: list[str], complete: bool) -> None:
    table = expectations(config)
    if not table:
        return
    unmatched = table.unknown(collected_ids)
    suites = _suites_root(config)
    if unmatched and not complete and suites is not None:
        unmatched = unknown_statically(unmatched, suites)
    if unmatched:
        lines = [f"  {e.source}: test = {e.test!r}" for e in unmatched]
        pytest.exit("flowise-conformance: expectations: "
                    f"{len(unmatched)} entr{'y matches' if len(unmatched) == 1 else 'ies match'} no test of the suites "
                    "(a renamed or removed test? fix or remove the entry):\n" + "\n".join(lines),
                    returncode=CONFIG_ERROR)


def _select(config: pytest.Config, items: list[pytest.Item]) -> None:
    profiles = state(config).get("profiles") or []
    resources = {m.args[0] for item in items if (m := item.get_closest_marker("resource")) and m.args}
    unknown = [p for p in profiles if p not in ("core", "full") and p not in resources]
    if unknown and not _is_worker(config):  # a worker cannot end the session: it selects nothing instead
        pytest.exit(f"flowise-conformance: unknown profile(s) {', '.join(unknown)}: profiles are {PROFILES_DOC} "
                    f"(resources here: {', '.join(sorted(resources)) or 'none'})", returncode=CONFIG_ERROR)
    level = config.getoption("--level")
    allowed_levels = LEVELS[: LEVELS.index(level) + 1] if level else LEVELS
    rerun = None
    if config.getoption("--rerun-failed"):
        rerun = _rerun_ids(config)
        _record_rerun(config, rerun)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("level")
        item_level = marker.args[0] if marker and marker.args else None
        marker = item.get_closest_marker("resource")
        item_resource = marker.args[0] if marker and marker.args else None
        wanted = _in_profiles(profiles, item_level, item_resource) and (item_level in allowed_levels or item_level is None)
        if wanted and rerun is not None:
            wanted = canonical_id(config, item.nodeid) in rerun
        (keep if wanted else drop).append(item)
        if wanted:
            item.user_properties.append(("requirement", requirement_of(item)))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    from flowise_conformance.pytest_plugin import _state_key

    summary = config.stash.get(_state_key, {}).get("summary")
    if summary is not None:
        summary.selection["deselected"] = summary.selection.get("deselected", 0) + len(drop)


def _in_profiles(profiles: list[str], level: str | None, resource: str | None) -> bool:
    if not profiles or "full" in profiles:
        return True
    if "core" in profiles and level == "MUST" and resource in CORE_RESOURCES:
        return True
    return resource in profiles


# ---------------------------------------------------------------- --rerun-failed


def _last_summary(config: pytest.Config) -> Path | None:
    report_dir = Path(config.getoption("--report-dir") or "reports").resolve()
    from flowise_conformance import run_context

    context = run_context.get(config)
    current = context.run_id if context is not None else None
    found = [p for p in report_dir.glob("*/summary.json") if p.parent.name != current]
    return max(found, key=lambda p: p.stat().st_mtime_ns) if found else None


def _rerun_ids(config: pytest.Config) -> set[str]:
    from flowise_conformance.report.summary import load as load_summary

    last = _last_summary(config)
    if last is None:
        pytest.exit(f"flowise-conformance: --rerun-failed: no previous run in {config.getoption('--report-dir')}",
                    returncode=CONFIG_ERROR)
    try:
        data = load_summary(last)
    except ValueError as exc:
        pytest.exit(f"flowise-conformance: --rerun-failed: {exc}", returncode=CONFIG_ERROR)
    ids = {t["id"] for t in data["tests"] if t["outcome"] in RERUN_OUTCOMES}
    state(config)["rerun_of"] = data.get("run_id")
    if not ids and not _is_worker(config):
        pytest.exit(f"flowise-conformance: --rerun-failed: the last run {data.get('run_id')} had no failed, errored "
                    "or stale test: nothing to rerun", returncode=0)
    return ids


def _record_rerun(config: pytest.Config, ids: set[str]) -> None:
    from flowise_conformance.pytest_plugin import _state_key

    summary = config.stash.get(_state_key, {}).get("summary")
    if summary is not None:
        summary.selection["rerun_of"] = state(config).get("rerun_of")


# ---------------------------------------------------------------- outcomes


def _annotate(report: pytest.TestReport, text: str) -> None:
    report.sections.append(("expectation", text))


def expectation_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): a listed test's report compared with its entry (``_apply``)."""
    entry = item.stash.get(_entry_key, None)
    seen = item.stash.setdefault(_seen_key, {})
    if entry is not None:
        _apply(entry, report, seen, canonical_id(item.config, item.nodeid))
        if report.failed and call.excinfo is None:
            # a stale expectation turned a pass into a failure: other wrappers (schemathesis's) expect
            # every failed call to carry the exception that failed it
            try:
                raise AssertionError(str(report.longrepr))
            except AssertionError as stale:
                call.excinfo = pytest.ExceptionInfo.from_exception(stale)


def outcome_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): the test's ``fc_outcome`` so far; on the teardown report, for junit."""
    seen = item.stash.setdefault(_seen_key, {})
    if report.failed:
        seen["outcome"] = Outcome.XPASSED.value if getattr(report, "fc_outcome", None) == Outcome.XPASSED.value else (
            Outcome.FAILED.value if report.when == "call" else Outcome.ERROR.value)
    elif report.skipped and "outcome" not in seen:
        seen["outcome"] = Outcome.XFAILED.value if hasattr(report, "wasxfail") else Outcome.SKIPPED.value
    if report.when == "teardown":
        # junit.xml writes the teardown report's properties
        report.user_properties = [*report.user_properties, ("fc_outcome", seen.get("outcome", Outcome.PASSED.value))]


def _apply(entry: Entry, report: pytest.TestReport, seen: dict[str, str], test_id: str) -> None:
    """Compares what happened with what the entry lists, and reports the honest outcome."""
    listed = f"{entry.source} lists it as {entry.outcome}: {entry.reason}"
    if report.failed:
        happened = Outcome.FAILED.value if report.when == "call" else Outcome.ERROR.value
        if happened == entry.outcome and "outcome" not in seen:
            report.outcome = "skipped"
            report.wasxfail = f"expected {entry.outcome} ({entry.source}): {entry.reason}"
            seen["outcome"] = Outcome.XFAILED.value
        else:
            _annotate(report, f"this test {'failed' if happened == 'failed' else 'errored'}, but {listed}")
    elif report.when == "call" and report.passed:
        report.outcome = "failed"
        report.longrepr = (f"[stale expectation] {test_id} passed, but {listed}\n"
                           "The server no longer deviates here: remove or update the entry.")
        report.fc_outcome = Outcome.XPASSED.value  # type: ignore[attr-defined]
    elif report.skipped and entry.outcome != Outcome.SKIPPED.value and report.when != "teardown":
        _annotate(report, f"skipped, so not compared with the expectation: {listed}")


# ---------------------------------------------------------------- flowise-conformance run


def add_run_options(parser: Any) -> None:
    """The gating options of ``flowise-conformance run`` (argparse), passed through to the plugin."""
    parser.add_argument("--profile", action="append", metavar="NAME", help=f"{PROFILES_DOC}; repeatable. Default: full")
    parser.add_argument("--level", choices=LEVELS, type=str.upper, help="run tests of this level and the stricter ones. Default: MAY (all)")
    parser.add_argument("--strict", "--strict-levels", dest="strict_levels", action="store_true",
                        help="SHOULD and MAY failures fail the run too (default: warnings)")
    parser.add_argument("--expectations", action="append", metavar="FILE",
                        help="expectations file of the target's known deviations (docs/expectations.md); repeatable")
    parser.add_argument("--rerun-failed", action="store_true",
                        help="run only the failed, errored and stale tests of the last run in --report-dir")


def run_argv(args: Any, pytest_args: list[str], run_id: str) -> list[str]:
    """pytest arguments for the gating options; allure results go to the run's directory."""
    argv: list[str] = []
    for profile in getattr(args, "profile", None) or []:
        argv += ["--profile", profile]
    if getattr(args, "level", None):
        argv += ["--level", args.level]
    if getattr(args, "strict_levels", False):
        argv.append("--strict-levels")
    for file in getattr(args, "expectations", None) or []:
        argv += ["--expectations", str(Path(file).resolve())]
    if getattr(args, "rerun_failed", False):
        argv.append("--rerun-failed")
    allure_off = any(a in ("no:allure_pytest", "-pno:allure_pytest") for a in pytest_args)  # -p no:allure_pytest
    if not allure_off and not any(a == "--alluredir" or a.startswith("--alluredir=") for a in pytest_args):
        argv += ["--alluredir", str(Path(args.report_dir).resolve() / run_id / "allure-results")]
    return argv
