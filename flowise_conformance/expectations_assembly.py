"""expectations/flowise-3.1.4.toml is made from its calibration drafts, never edited by hand.

One source of truth: the drafts in expectations/drafts/ (one per area, each with the command and
date of its calibration run) hold every entry; the shipped file that `run --flowise 3.1.4` reads is
their concatenation in name order under a fixed header. After editing a draft:

    python -m flowise_conformance.expectations_assembly          # rewrites the shipped file
    python -m flowise_conformance.expectations_assembly --check  # exit 1 if it is out of date

tests/test_expectations.py fails while the shipped file differs from the assembly.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from flowise_conformance.expectations import load
from flowise_conformance.paths import expectations_dir

HEADER = """\
# Known deviations of real Flowise 3.1.4 (npm flowise@3.1.4, SQLite, open-source platform) from our spec.
# Used with: flowise-conformance run --flowise 3.1.4 (picked up by default) or --expectations this file.
# Each entry: the test, the outcome it has on Flowise 3.1.4, how Flowise deviates, and the evidence seen.
# GENERATED from the calibration drafts in expectations/drafts/ (one per area): edit a draft, then run
#   python -m flowise_conformance.expectations_assembly
# Rendered as docs/flowise-3.1.4-deviations.md by `flowise-conformance deviations`.

[about]
target = "Flowise 3.1.4"
"""


def drafts(base: Path | None = None) -> list[Path]:
    """The draft files, in the order they are assembled (by name)."""
    return sorted(((base or expectations_dir()) / "drafts").glob("*.toml"))


def shipped(base: Path | None = None) -> Path:
    return (base or expectations_dir()) / "flowise-3.1.4.toml"


def assemble(files: Sequence[Path]) -> str:
    """The shipped file's text: the header, then each draft under a `# ---- from NAME ----` line.
    The drafts are loaded first, so a malformed draft or an entry listed twice is a UsageError."""
    load(list(files))
    parts = [HEADER]
    for file in files:
        parts.append(f"\n# ---- from {file.name} ----\n{file.read_text(encoding='utf-8').rstrip()}\n")
    return "".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flowise_conformance.expectations_assembly",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the shipped file is up to date")
    parser.add_argument("--base", type=Path, default=None, help="the expectations/ directory (default: shipped)")
    args = parser.parse_args(argv)
    target, text = shipped(args.base), assemble(drafts(args.base))
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{target} is out of date: run python -m flowise_conformance.expectations_assembly", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
