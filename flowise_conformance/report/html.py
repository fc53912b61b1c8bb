"""report.html: one self-contained page (inline CSS, no script, no external asset) from summary.json.

Every figure carries a ``data-fc`` attribute naming what it counts
(``count:<outcome>``, ``resource:<name>:<outcome>``, ``level:<name>:<outcome>``,
``gate:exit_code``) and every listed test a ``data-fc-test`` / ``data-fc-outcome`` pair, so a
test can read the rendered page back and compare it with the summary.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Iterable

from flowise_conformance.client import CLEANUP_MARK
from flowise_conformance.outcomes import Outcome
from flowise_conformance.redact import redact
from flowise_conformance.report.gate import INTERRUPTED, VERDICT_LABEL
from flowise_conformance.report.summary import reproductions

NON_PASSING = (Outcome.FAILED.value, Outcome.ERROR.value, Outcome.XPASSED.value)
OUTCOME_LABEL = {
    "passed": "passed", "failed": "failed", "skipped": "skipped", "error": "error",
    "expected-failure": "expected failure", "stale-expectation": "stale expectation",
}

# No script, no request: only the inline <style> and style="" attributes the page uses (kept in the meta,
# as a file opened from disk has no response headers to carry it)
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSS = """
:root { --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --skip:#57606a; --xfail:#6639ba; --err:#bc4c00;
        --bg:#ffffff; --soft:#f6f8fa; --line:#d0d7de; --text:#1f2328; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text);
       background: var(--bg); }
header { padding: 18px 28px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0 0 6px; font-size: 20px; }
main { padding: 8px 28px 40px; max-width: 1500px; }
h2 { font-size: 16px; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; font-size: 13px; }
.meta dt { color: #57606a; } .meta dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
.verdict { display: inline-block; margin-top: 10px; padding: 6px 14px; border-radius: 6px; font-weight: 700;
           color: #fff; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.verdict.pass-with-warnings { background: var(--warn); } .verdict.interrupted { background: var(--err); }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { border: 1px solid var(--line); padding: 3px 10px; text-align: right; }
th { background: var(--soft); font-weight: 600; } td.name, th.name { text-align: left; }
td.zero { color: #8c959f; }
tr.total td { font-weight: 700; background: var(--soft); }
.o-passed { color: var(--pass); } .o-failed { color: var(--fail); } .o-error { color: var(--err); }
.o-skipped { color: var(--skip); } .o-expected-failure { color: var(--xfail); } .o-stale-expectation { color: var(--fail); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; border: 1px solid currentColor;
         margin-right: 4px; white-space: nowrap; }
section.test { border: 1px solid var(--line); border-left: 5px solid var(--fail); border-radius: 6px; margin: 12px 0;
               padding: 10px 14px; }
section.test.warn { border-left-color: var(--warn); } section.test.error { border-left-color: var(--err); }
section.test.xfail { border-left-color: var(--xfail); }
section.test h3 { margin: 0 0 4px; font: 600 14px ui-monospace, monospace; word-break: break-all; }
.req { margin: 4px 0; } .req b { color: #57606a; font-weight: 600; }
.msg { font-family: ui-monospace, monospace; background: #fff8f8; border: 1px solid #ffd8d3; padding: 6px 8px;
       border-radius: 4px; white-space: pre-wrap; word-break: break-word; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px; overflow-x: auto;
      font-size: 12px; white-space: pre-wrap; word-break: break-word; max-height: 460px; overflow-y: auto; }
details > summary { cursor: pointer; color: #0969da; margin: 4px 0; }
ul.plain { padding-left: 18px; } .muted { color: #57606a; }
table.glance td { font-size: 12px; } a { color: #0969da; text-decoration: none; }
footer { color: #57606a; font-size: 12px; padding: 12px 28px; border-top: 1px solid var(--line); }
"""


def _e(value: Any) -> str:
    return html.escape(redact(str(value)), quote=True)


def _count_cell(key: str, value: int) -> str:
    return f'<td data-fc="{_e(key)}"{" class=zero" if not value else ""}>{value}</td>'


def _outcome_header() -> str:
    return "".join(f'<th class="o-{o}">{OUTCOME_LABEL[o]}</th>' for o in OUTCOME_LABEL)


def _totals_table(title: str, kind: str, rows: dict[str, dict[str, int]], counts: dict[str, int]) -> str:
    out = [f'<table data-fc-table="{kind}"><tr><th class="name">{_e(title)}</th>{_outcome_header()}<th>total</th></tr>']
    for name, row in rows.items():
        cells = "".join(_count_cell(f"{kind}:{name}:{o}", row.get(o, 0)) for o in OUTCOME_LABEL)
        out.append(f'<tr><td class="name">{_e(name)}</td>{cells}'
                   f'{_count_cell(f"{kind}:{name}:total", sum(row.values()))}</tr>')
    cells = "".join(f"<td>{counts.get(o, 0)}</td>" for o in OUTCOME_LABEL)
    out.append(f'<tr class="total"><td class="name">total</td>{cells}<td>{sum(counts.values())}</td></tr></table>')
    return "\n".join(out)


def _badges(test: dict[str, Any]) -> str:
    parts = [f'<span class="badge o-{_e(test["outcome"])}">{_e(OUTCOME_LABEL.get(test["outcome"], test["outcome"]))}'
             f"</span>"]
    if test.get("level"):
        parts.append(f'<span class="badge">{_e(test["level"])}</span>')
    if test.get("resource"):
        parts.append(f'<span class="badge">{_e(test["resource"])}</span>')
    if test.get("gate") == "warn":
        parts.append('<span class="badge" style="color:var(--warn)">warning: not gating</span>')
    elif test.get("gate") == "fail":
        parts.append('<span class="badge o-failed">fails the gate</span>')
    if test.get("phase") and test["phase"] != "call":
        parts.append(f'<span class="badge">in {_e(test["phase"])}</span>')
    return "".join(parts)


def _expectation(exp: dict[str, str] | None) -> str:
    if not exp:
        return ""
    return (f'<div class="req"><b>Expectation</b> ({_e(exp["source"])}): listed as {_e(exp["outcome"])}: '
            f'{_e(exp["reason"])}<br><span class="muted">evidence: {_e(exp["evidence"])}</span></div>')


def _test_section(test: dict[str, Any], open_details: bool) -> str:
    kind = {"error": "error", "expected-failure": "xfail"}.get(test["outcome"], "warn" if test.get("gate") == "warn" else "")
    opened = " open" if open_details else ""
    parts = [f'<section class="test {kind}" id="{_e(test["id"])}" data-fc-test="{_e(test["id"])}" '
             f'data-fc-outcome="{_e(test["outcome"])}">',
             f'<h3>{_e(test["id"])}</h3><div>{_badges(test)}<span class="muted">{test["duration_s"]:.3f} s</span></div>']
    if test.get("requirement"):
        parts.append(f'<div class="req"><b>Requirement</b> {_e(test["requirement"])}</div>')
    parts.append(_expectation(test.get("expectation")))
    if test.get("message"):
        parts.append(f'<div class="msg">{_e(test["message"])}</div>')
    exchanges = split_exchanges(test.get("transcript") or "")
    shown = last_own_exchange(exchanges)
    if shown:
        after = " before the cleanup" if shown != exchanges[-1] else ""
        parts.append(f'<div class="req"><b>Last exchange</b>{after} (of {len(exchanges)})</div>'
                     f'<pre data-fc-part="last-exchange">{_e(shown)}</pre>')
    reproduce = test.get("reproduce") or []
    curl = reproductions(shown) if shown else reproduce[-1:]
    if curl:
        parts.append(f'<div class="req"><b>Reproduce</b> (that request; API key redacted)</div>'
                     f'<pre data-fc-part="reproduce">{_e(curl[-1])}</pre>')
    if len(reproduce) > 1:
        parts.append(f'<details><summary>All {len(reproduce)} requests as curl</summary>'
                     f'<pre>{_e(chr(10).join(reproduce))}</pre></details>')
    if len(exchanges) > 1:
        parts.append(f'<details{opened}><summary>Full transcript ({len(exchanges)} exchanges)</summary>'
                     f'<pre data-fc-part="transcript">{_e(test["transcript"])}</pre></details>')
    elif exchanges:
        parts.append(f'<pre hidden data-fc-part="transcript">{_e(test["transcript"])}</pre>')
    if test.get("details"):
        parts.append(f'<details><summary>Details (traceback)</summary><pre>{_e(test["details"])}</pre></details>')
    parts.append("</section>")
    return "".join(parts)


def last_own_exchange(exchanges: list[str]) -> str:
    """The test's last exchange: the run's cleanup (CLEANUP_MARK) comes after what failed."""
    own = [e for e in exchanges if f"\n{CLEANUP_MARK}\n" not in e]
    return (own or exchanges or [""])[-1]


def split_exchanges(transcript: str) -> list[str]:
    """The exchanges of a transcript (each starts with '> METHOD URL')."""
    return [part for part in re.split(r"\n\n(?=> [A-Z]+ \S+://)", transcript.strip()) if part.strip()]


def _headline(message: str, limit: int = 160) -> str:
    """The first two non-empty lines of a message (e.g. "FailureGroup: found 2 failures · - ST103 ...")."""
    lines = [line.strip() for line in message.splitlines() if line.strip()][:2]
    text = " · ".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _glance(tests: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td class="name"><a href="#{_e(t["id"])}"><code>{_e(t["id"])}</code></a></td>'
        f'<td class="name o-{_e(t["outcome"])}">{_e(OUTCOME_LABEL.get(t["outcome"], t["outcome"]))}</td>'
        f'<td class="name">{_e(t.get("level") or "")}</td>'
        f'<td class="name">{"fails the gate" if t.get("gate") == "fail" else "warning"}</td>'
        f'<td class="name">{_e(_headline(t.get("message") or ""))}</td></tr>'
        for t in tests)
    return ('<table class="glance"><tr><th class="name">test</th><th class="name">outcome</th><th class="name">level</th>'
            f'<th class="name">gate</th><th class="name">what failed</th></tr>{rows}</table>')


def _list(tests: Iterable[dict[str, Any]], text: str) -> str:
    items = [f'<li data-fc-test="{_e(t["id"])}" data-fc-outcome="{_e(t["outcome"])}"><code>{_e(t["id"])}</code>'
             f' <span class="muted">— {_e(t.get(text) or "")}</span></li>' for t in tests]
    return f'<ul class="plain">{"".join(items)}</ul>' if items else '<p class="muted">none</p>'


def render(data: dict[str, Any]) -> str:
    tests: list[dict[str, Any]] = data["tests"]
    target = data.get("target") or {}
    gate = data["gate"]
    selection = data.get("selection") or {}
    verdict = VERDICT_LABEL.get(gate["verdict"], "?")
    if gate["verdict"] == INTERRUPTED:
        planned = f" of {data['planned']} selected" if data.get("planned") else ""
        verdict += f": {len(tests)}{planned} tests ran"
    title = f"flowise-conformance: {target.get('name') or target.get('base_url') or 'run'} {data['run_id']}"
    meta = [
        ("target", target.get("name") or "-"), ("base URL", target.get("base_url") or "-"),
        ("server version", data.get("server_version") or "unknown"), ("run id", data["run_id"]),
        ("started / finished", f"{data.get('started')} / {data.get('finished') or '-'}"),
        ("duration", f"{data.get('duration_s', 0):.1f} s" + ("  (interrupted)" if data.get("interrupted") else "")),
        ("profiles", ", ".join(selection.get("profiles") or ["full"])),
        ("level", selection.get("level") or "all (MUST, SHOULD, MAY)"),
        ("strict", "yes: SHOULD/MAY failures gate" if selection.get("strict") else "no: SHOULD/MAY failures are warnings"),
        ("expectations", ", ".join(selection.get("expectations") or []) or "none"),
        ("tool", f"{data['tool']['name']} {data['tool']['version']}, summary schema {data['schema_version']}"),
    ]
    if selection.get("rerun_of"):
        meta.append(("rerun of", selection["rerun_of"]))
    failing = [t for t in tests if t["outcome"] in NON_PASSING]
    failing.sort(key=lambda t: (t.get("gate") != "fail", t["id"]))
    xfailed = [t for t in tests if t["outcome"] == Outcome.XFAILED.value]
    skipped = [t for t in tests if t["outcome"] == Outcome.SKIPPED.value]
    body = [
        "<header>", f"<h1>{_e(title)}</h1>",
        '<dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta) + "</dl>",
        f'<div class="verdict {_e(gate["verdict"])}" data-fc="gate:verdict" data-fc-value="{_e(gate["verdict"])}">'
        f'{verdict} · exit code <span data-fc="gate:exit_code">{gate["exit_code"]}</span> · '
        f'{len(gate["failing"])} gating · {len(gate["warnings"])} warning(s)</div>',
        "</header><main>",
        "<h2>Totals</h2>",
        '<table data-fc-table="count"><tr>' + _outcome_header() + "<th>total</th></tr><tr>"
        + "".join(_count_cell(f"count:{o}", data["counts"].get(o, 0)) for o in OUTCOME_LABEL)
        + _count_cell("count:total", len(tests)) + "</tr></table>",
        f'<p class="muted">{selection.get("deselected", 0)} test(s) deselected by the selection.</p>',
        "<h2>By resource</h2>",
        _totals_table("resource", "resource", data["totals"]["by_resource"], data["counts"]),
        "<h2>By level</h2>",
        _totals_table("level", "level", data["totals"]["by_level"], data["counts"]),
        f'<h2 id="failures">Failures, errors and stale expectations ({len(failing)})</h2>',
    ]
    if failing:
        body.append(_glance(failing))
    body += [_test_section(t, open_details=False) for t in failing] or ['<p class="muted">none</p>']
    body.append(f"<h2>Expected failures ({len(xfailed)})</h2>")
    body += [_test_section(t, open_details=False) for t in xfailed] or ['<p class="muted">none</p>']
    body.append(f"<h2>Skipped ({len(skipped)})</h2>")
    body.append(_list(skipped, "message"))
    if data.get("cleanup", {}).get("problems"):
        body.append("<h2>Cleanup problems</h2><ul>" + "".join(f"<li>{_e(p)}</li>" for p in data["cleanup"]["problems"])
                    + "</ul>")
    rows = "".join(
        f'<tr data-fc-row="{_e(t["id"])}"><td class="name"><code>{_e(t["id"])}</code></td>'
        f'<td class="name o-{_e(t["outcome"])}">{_e(OUTCOME_LABEL.get(t["outcome"], t["outcome"]))}</td>'
        f'<td class="name">{_e(t.get("level") or "")}</td><td class="name">{_e(t.get("resource") or "")}</td>'
        f'<td>{t["duration_s"]:.3f}</td><td class="name">{_e(t.get("requirement") or "")}</td></tr>'
        for t in tests)
    body.append(f"<h2>All tests ({len(tests)})</h2><details><summary>show all {len(tests)} tests</summary>"
                '<table><tr><th class="name">test</th><th class="name">outcome</th><th class="name">level</th>'
                f'<th class="name">resource</th><th>s</th><th class="name">requirement</th></tr>{rows}</table></details>')
    body.append("</main><footer>Rendered from summary.json (schema "
                f"{data['schema_version']}). Works offline: no scripts, no external assets.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(path)
