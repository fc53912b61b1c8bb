"""docs/<server>-deviations.md: an expectations file rendered as a point-by-point document.

Generated, never hand-edited: `flowise-conformance deviations expectations/flowise-3.1.4.toml
--output docs/flowise-3.1.4-deviations.md`. One section per resource, one point per entry:
the requirement (the test's docstring, read from the suites), how the server deviates, and
the evidence that was seen.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from flowise_conformance.expectations import Entry, load
from flowise_conformance.paths import suites_dir


def _docstrings(suites: Path) -> dict[str, str]:
    """node id (without parameters) -> first line of the test's docstring."""
    found: dict[str, str] = {}
    for path in sorted(suites.rglob("test_*.py")):
        rel = path.relative_to(suites).as_posix()
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                doc = ast.get_docstring(node) or ""
                found[f"{rel}::{node.name}"] = doc.strip().splitlines()[0] if doc.strip() else ""
    return found


def _resource(entry: Entry) -> str:
    head = entry.test.split("::", 1)[0]
    return head.split("/", 1)[0] if "/" in head else head.removesuffix(".py")


def render(files: list[str], title: str) -> str:
    expectations = load(files)
    docs = _docstrings(suites_dir())
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in expectations.entries:
        groups[_resource(entry)].append(entry)
    lines = [
        f"# {title}",
        "",
        f"Generated from {', '.join(f'`{Path(f).as_posix()}`' for f in files)} by `flowise-conformance deviations`.",
        "Each point is a requirement of our spec (the documented Flowise contract) that the server does not meet,",
        "with the evidence seen on a real server. The suite still checks the requirement; the expectations file",
        "only stops these known deviations from failing the gate, and goes stale when the server is fixed.",
        "",
        f"{len(expectations.entries)} deviations in {len(groups)} areas.",
        "",
    ]
    for group in sorted(groups):
        lines += [f"## {group}", ""]
        for n, entry in enumerate(sorted(groups[group], key=lambda e: e.test), 1):
            base = entry.test.split("[", 1)[0]
            requirement = docs.get(base, "")
            lines.append(f"{n}. **{requirement or entry.test}**")
            lines.append(f"   - test: `{entry.test}` (expected outcome: {entry.outcome})")
            lines.append(f"   - deviation: {entry.reason}")
            if entry.breaks:
                lines.append(f"   - breaks: {entry.breaks}")
            lines.append(f"   - evidence: `{entry.evidence}`" if "`" not in entry.evidence else f"   - evidence: {entry.evidence}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(args) -> int:  # noqa: ANN001
    text = render(args.files, args.title)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def add_subparser(sub) -> None:  # noqa: ANN001
    p = sub.add_parser("deviations", help="render expectations files as a point-by-point deviations document")
    p.add_argument("files", nargs="+", help="expectations TOML file(s)")
    p.add_argument("--title", default="Flowise 3.1.4 against its documented contract")
    p.add_argument("--output", help="write here (default: stdout)")
    p.set_defaults(handler=main)
