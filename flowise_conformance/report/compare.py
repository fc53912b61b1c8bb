"""``flowise-conformance compare OLD NEW`` and ``flowise-conformance matrix RUN...``.

compare reads two summary.json files (or run directories) and sorts every test into:

    regression   passed in OLD; failed, errored or expected-failure in NEW
    fix          failed, errored or expected-failure in OLD; passed (or stale-expectation) in NEW
    added        only in NEW;  removed: only in OLD
    changed      any other change of outcome (e.g. passed -> skipped, failed -> error)
    not run      absent from a run that was interrupted (incomplete): neither added nor removed

A test's *verdict* is what the server did, whatever the expectations said: passed and
stale-expectation are "pass" (the check held); failed, error and expected-failure are "fail";
skipped is "not checked". The exit code is 1 when there is any regression or when NEW was
interrupted (an incomplete run cannot show that nothing regressed), else 0; 2 when a file
cannot be read.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from flowise_conformance.helptext import paragraphs
from flowise_conformance.outcomes import ExitCode, Outcome
from flowise_conformance.report.summary import load

PASS_LIKE = frozenset({Outcome.PASSED.value, Outcome.XPASSED.value})
FAIL_LIKE = frozenset({Outcome.FAILED.value, Outcome.ERROR.value, Outcome.XFAILED.value})


def verdict(outcome: str) -> str:
    if outcome in PASS_LIKE:
        return "pass"
    if outcome in FAIL_LIKE:
        return "fail"
    return "not-checked"


@dataclass
class Comparison:
    old: dict[str, Any]
    new: dict[str, Any]
    regressions: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old outcome, new outcome)
    fixes: list[tuple[str, str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)  # (id, new outcome)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (id, old outcome)
    not_run: list[tuple[str, str, str]] = field(default_factory=list)  # (id, the run it is absent from, other outcome)
    unchanged: int = 0

    @property
    def incomplete(self) -> list[str]:
        """Which of the two runs ("old", "new") were interrupted."""
        return [side for side, data in (("old", self.old), ("new", self.new)) if data.get("interrupted")]

    @property
    def exit_code(self) -> int:
        return int(ExitCode.FAILURES if self.regressions or "new" in self.incomplete else ExitCode.OK)

    def as_json(self) -> dict[str, Any]:
        def triples(rows: list[tuple[str, str, str]]) -> list[dict[str, str]]:
            return [{"id": i, "old": o, "new": n} for i, o, n in rows]

        return {
            "old": {"run_id": self.old.get("run_id"), "target": label(self.old)},
            "new": {"run_id": self.new.get("run_id"), "target": label(self.new)},
            "regressions": triples(self.regressions), "fixes": triples(self.fixes),
            "changed": triples(self.changed),
            "added": [{"id": i, "new": n} for i, n in self.added],
            "removed": [{"id": i, "old": o} for i, o in self.removed],
            "not_run": [{"id": i, "absent_from": side, "other": o} for i, side, o in self.not_run],
            "incomplete": self.incomplete, "unchanged": self.unchanged, "exit_code": self.exit_code,
        }


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    before = {t["id"]: t["outcome"] for t in old["tests"]}
    after = {t["id"]: t["outcome"] for t in new["tests"]}
    out = Comparison(old, new)
    for test_id in sorted(before.keys() | after.keys()):
        if test_id not in after:
            if new.get("interrupted"):
                out.not_run.append((test_id, "new", before[test_id]))
            else:
                out.removed.append((test_id, before[test_id]))
        elif test_id not in before:
            if old.get("interrupted"):
                out.not_run.append((test_id, "old", after[test_id]))
            else:
                out.added.append((test_id, after[test_id]))
        else:
            was, now = before[test_id], after[test_id]
            row = (test_id, was, now)
            if was == now:
                out.unchanged += 1
            elif verdict(was) == "pass" and verdict(now) == "fail":
                out.regressions.append(row)
            elif verdict(was) == "fail" and verdict(now) == "pass":
                out.fixes.append(row)
            else:
                out.changed.append(row)
    return out


def label(summary: dict[str, Any]) -> str:
    """How a run is named in a comparison or matrix column: target name and server version."""
    target = summary.get("target") or {}
    name = target.get("name") or target.get("base_url") or "target"
    version = summary.get("server_version")
    return f"{name} {version}" if version and str(version) not in str(name) else str(name)


def render_text(result: Comparison) -> str:
    def run_line(side: str, data: dict[str, Any]) -> str:
        partial = f"  INTERRUPTED: incomplete, {len(data['tests'])} tests ran" if data.get("interrupted") else ""
        return f"{side}: {data.get('run_id')}  ({label(data)}){partial}"

    lines = [run_line("old", result.old), run_line("new", result.new)]
    sections = (("regressions", result.regressions), ("fixes", result.fixes), ("changed", result.changed))
    for title, rows in sections:
        lines.append(f"{title}: {len(rows)}")
        lines += [f"  {test_id}: {was} -> {now}" for test_id, was, now in rows]
    lines.append(f"added: {len(result.added)}")
    lines += [f"  {test_id}: {now}" for test_id, now in result.added]
    lines.append(f"removed: {len(result.removed)}")
    lines += [f"  {test_id}: was {was}" for test_id, was in result.removed]
    if result.not_run:
        lines.append(f"not run (absent from an interrupted run): {len(result.not_run)}")
        lines += [f"  {test_id}: not in {side} ({other} in the other)" for test_id, side, other in result.not_run]
    lines.append(f"unchanged: {result.unchanged}")
    if "new" in result.incomplete:
        lines.append("incomplete: NEW was interrupted, so it cannot show that nothing regressed (exit 1)")
    return "\n".join(lines)


# ---------------------------------------------------------------- CLI


def _load_or_fail(path: str) -> dict[str, Any] | None:
    try:
        return load(path)
    except ValueError as exc:
        print(f"flowise-conformance: {exc}", file=sys.stderr)
        return None


def _compare_command(args: argparse.Namespace) -> int:
    old, new = _load_or_fail(args.old), _load_or_fail(args.new)
    if old is None or new is None:
        return int(ExitCode.USAGE)
    result = compare(old, new)
    print(json.dumps(result.as_json(), indent=2) if args.json else render_text(result))
    return result.exit_code


def _matrix_command(args: argparse.Namespace) -> int:
    from flowise_conformance.report import matrix

    runs = []
    for path in args.runs:
        data = _load_or_fail(path)
        if data is None:
            return int(ExitCode.USAGE)
        runs.append(data)
    labels = args.label or []
    if labels and len(labels) != len(runs):
        print(f"flowise-conformance: {len(labels)} --label for {len(runs)} runs", file=sys.stderr)
        return int(ExitCode.USAGE)
    table = matrix.build(runs, labels or None)
    written = matrix.write(table, html_path=args.html, markdown_path=args.markdown)
    for path in written:
        print(f"wrote {path}")
    return int(ExitCode.OK)


def add_subparsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmp = sub.add_parser("compare", help="compare two runs (summary.json or run dir): regressions, fixes, added, removed",
                         description=paragraphs(__doc__, 1), formatter_class=argparse.RawDescriptionHelpFormatter)
    cmp.add_argument("old", help="summary.json (or run directory) of the earlier run")
    cmp.add_argument("new", help="summary.json (or run directory) of the later run")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.set_defaults(handler=_compare_command)

    mx = sub.add_parser("matrix", help="compatibility matrix across runs (HTML and Markdown)",
                        description="Rows are tests, columns are runs labelled by target name and server version.")
    mx.add_argument("runs", nargs="+", metavar="RUN", help="summary.json files or run directories")
    mx.add_argument("--html", default="matrix.html", help="HTML output (default: matrix.html)")
    mx.add_argument("--markdown", default="matrix.md", help="Markdown output (default: matrix.md)")
    mx.add_argument("--label", action="append", metavar="TEXT",
                    help="column label of each run, in order (default: target name and server version)")
    mx.set_defaults(handler=_matrix_command)
