"""Compatibility matrix across runs: rows are tests, columns are runs (target name + server version).

Rendered as one self-contained HTML file and as Markdown. A cell shows the test's outcome
in that run; an empty cell means the run did not include the test. Rows whose outcomes
differ between runs are marked. An interrupted run's column is labelled "(interrupted)" and
its cells for tests it did not reach read "not run": it is incomplete, not a selection.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowise_conformance.report.compare import label
from flowise_conformance.report.summary import OUTCOMES

SYMBOL = {"passed": "pass", "failed": "FAIL", "error": "ERROR", "skipped": "skip",
          "expected-failure": "xfail", "stale-expectation": "STALE"}
COLOR = {"passed": "#dafbe1", "failed": "#ffd8d3", "error": "#ffe2c2", "skipped": "#eaeef2",
         "expected-failure": "#e9ddff", "stale-expectation": "#ffd8d3"}


INTERRUPTED_MARK = "(interrupted)"
NOT_RUN = "not run"  # a cell of an interrupted run for a test it did not reach


def _cell(matrix: "Matrix", column: int, outcome: str | None) -> str:
    if outcome:
        return SYMBOL.get(outcome, "")
    return NOT_RUN if matrix.runs[column].get("interrupted") else ""


@dataclass
class Matrix:
    columns: list[str] = field(default_factory=list)  # labels, unique
    runs: list[dict[str, Any]] = field(default_factory=list)
    rows: list[tuple[str, list[str | None]]] = field(default_factory=list)  # (test id, outcome per column)

    def totals(self) -> list[dict[str, int]]:
        out = [{o: 0 for o in OUTCOMES} for _ in self.columns]
        for _, cells in self.rows:
            for i, cell in enumerate(cells):
                if cell is not None:
                    out[i][cell] += 1
        return out


def build(runs: list[dict[str, Any]], labels: list[str] | None = None) -> Matrix:
    labels = labels or [label(r) for r in runs]
    columns = [f"{name} ({r.get('run_id')})" if labels.count(name) > 1 else name for name, r in zip(labels, runs)]
    columns = [f"{c} {INTERRUPTED_MARK}" if r.get("interrupted") else c for c, r in zip(columns, runs)]
    outcomes = [{t["id"]: t["outcome"] for t in r["tests"]} for r in runs]
    ids = sorted(set().union(*(o.keys() for o in outcomes))) if outcomes else []
    rows = [(test_id, [o.get(test_id) for o in outcomes]) for test_id in ids]
    return Matrix(columns, runs, rows)


def _differs(cells: list[str | None]) -> bool:
    return len({c for c in cells}) > 1


def render_markdown(matrix: Matrix) -> str:
    lines = ["# Compatibility matrix", "",
             "Cells: " + ", ".join(f"`{s}` {o}" for o, s in SYMBOL.items())
             + f"; empty: not in that run; `{NOT_RUN}`: not reached by an interrupted run. "
             "Rows marked **≠** differ between runs.", "",
             "| test | " + " | ".join(c.replace("|", "\\|") for c in matrix.columns) + " |",
             "|---|" + "---|" * len(matrix.columns)]
    for test_id, cells in matrix.rows:
        mark = "**≠** " if _differs(cells) else ""
        lines.append(f"| {mark}`{test_id.replace('|', '/')}` | "
                     + " | ".join(_cell(matrix, i, c) for i, c in enumerate(cells)) + " |")
    totals = matrix.totals()
    lines.append("| **passed / run** | " + " | ".join(
        f"{t['passed']} / {sum(t.values())}" for t in totals) + " |")
    return "\n".join(lines) + "\n"


def render_html(matrix: Matrix) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}<br><small>{e(str(r.get('run_id')))}</small></th>"
                   for c, r in zip(matrix.columns, matrix.runs))
    body = []
    for test_id, cells in matrix.rows:
        tds = "".join(
            f'<td style="background:{COLOR.get(c, "#fff")}" data-fc-outcome="{e(c or "")}">{e(_cell(matrix, i, c))}'
            "</td>" for i, c in enumerate(cells))
        body.append(f'<tr class="{"differs" if _differs(cells) else ""}"><td class="id">{e(test_id)}</td>{tds}</tr>')
    totals = "".join(f"<td>{t['passed']} / {sum(t.values())}</td>" for t in matrix.totals())
    css = ("body{font:13px system-ui,sans-serif;margin:20px} table{border-collapse:collapse}"
           "td,th{border:1px solid #d0d7de;padding:2px 8px;text-align:center}"
           "td.id{text-align:left;font-family:ui-monospace,monospace} tr.differs td.id{font-weight:700}"
           "tr.differs td.id::before{content:'≠ ';color:#cf222e} tfoot td{font-weight:700;background:#f6f8fa}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Compatibility matrix</title>"
            f"<style>{css}</style></head><body><h1>Compatibility matrix</h1>"
            f"<p>{len(matrix.rows)} tests, {len(matrix.columns)} runs. Bold rows (≠) differ between runs; an empty"
            " cell: the test was not in that run.</p>"
            f'<table><thead><tr><th>test</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f"<tfoot><tr><td>passed / run</td>{totals}</tr></tfoot></table></body></html>\n")


def write(matrix: Matrix, html_path: str | Path | None, markdown_path: str | Path | None) -> list[Path]:
    written = []
    for path, text in ((html_path, render_html), (markdown_path, render_markdown)):
        if path:
            out = Path(path)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text(matrix), encoding="utf-8")
            written.append(out)
    return written
