"""summary.json: the versioned, documented result of one run (docs/summary-schema.md).

Every other report (terminal table, report.html, compare, matrix) is rendered from this
model, so the figures agree everywhere. Schema version 2 (version 1 files still load):

    schema_version: 2
    tool: {name, version}
    run_id, started, finished (ISO 8601 UTC), duration_s, interrupted: bool, planned: int | null
    target: the redacted target configuration; server_version: str | null
    selection: {profiles, level, strict, expectations, rerun_of, deselected}
    counts: {passed, failed, skipped, error, expected-failure, stale-expectation}
    totals: {by_resource: {resource: counts}, by_level: {level: counts}}
    gate: {verdict (pass | pass-with-warnings | fail | interrupted), exit_code, strict, failing: [id], warnings: [id]}
    cleanup: {problems: [str]}
    tests: [{id, outcome, phase, duration_s, message, details, transcript, reproduce,
             requirement, resource, level, mutating, gate, expectation}]
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flowise_conformance import __version__
from flowise_conformance.outcomes import ExitCode, Outcome
from flowise_conformance.redact import redact
from flowise_conformance.report import gate as gating

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
MESSAGE_LIMIT = 4000
DETAILS_LIMIT = 4 * MESSAGE_LIMIT
TRANSCRIPT_LIMIT = 8 * MESSAGE_LIMIT
OUTCOMES = tuple(o.value for o in Outcome)


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def zero_counts() -> dict[str, int]:
    return {o: 0 for o in OUTCOMES}


def reproductions(transcript: str, details: str = "") -> list[str]:
    """The curl commands of a transcript (client.Exchange.render ends each exchange with one);
    without a transcript, those quoted in the failure (schemathesis' "Reproduce with: curl ...")."""
    found = [line[len("reproduce: "):] for line in transcript.splitlines() if line.startswith("reproduce: ")]
    if not found:
        bare = (line.strip().lstrip("|").strip() for line in details.splitlines())
        found = list(dict.fromkeys(line for line in bare if line.startswith("curl ")))
    return found


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    id: str
    outcome: Outcome = Outcome.PASSED
    phase: str | None = None  # where a non-pass happened: setup, call or teardown
    duration_s: float = 0.0
    message: str = ""
    details: str = ""
    transcript: str = ""
    requirement: str = ""
    resource: str | None = None
    level: str | None = None
    mutating: bool = False
    expectation: dict[str, str] | None = None
    ended: bool = False  # its call phase reported, or its setup did not pass (so it has no call): not in the file

    def as_json(self, strict: bool = False) -> dict[str, Any]:
        transcript = redact(self.transcript)[:TRANSCRIPT_LIMIT]
        details = redact(self.details)[:DETAILS_LIMIT]
        return {
            "id": self.id, "outcome": self.outcome.value, "phase": self.phase,
            "duration_s": round(self.duration_s, 4),
            "message": redact(self.message)[:MESSAGE_LIMIT], "details": details,
            "transcript": transcript, "reproduce": reproductions(transcript, details),
            "requirement": redact(self.requirement)[:MESSAGE_LIMIT],
            "resource": self.resource, "level": self.level, "mutating": self.mutating,
            "gate": gating.effect(self.outcome, self.level, strict),
            "expectation": self.expectation,
        }


@dataclass
class RunSummary:
    run_id: str
    target: dict[str, Any]
    started: str = field(default_factory=iso_now)
    finished: str | None = None
    duration_s: float = 0.0
    interrupted: bool = False
    planned: int | None = None  # tests selected to run (None when unknown)
    server_version: str | None = None
    tests: dict[str, TestResult] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    cleanup_problems: list[str] = field(default_factory=list)
    strict: bool = False

    def counts(self) -> dict[str, int]:
        out = zero_counts()
        for result in self.tests.values():
            out[result.outcome.value] += 1
        return out

    def gate(self) -> gating.Gate:
        return gating.evaluate(((t.id, t.outcome, t.level) for t in self.tests.values()), self.strict,
                               interrupted=self.interrupted)

    def as_json(self) -> dict[str, Any]:
        tests = [t.as_json(self.strict) for t in sorted(self.tests.values(), key=lambda t: t.id)]
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "flowise-conformance", "version": __version__},
            "run_id": self.run_id, "started": self.started, "finished": self.finished,
            "duration_s": round(self.duration_s, 3), "interrupted": self.interrupted, "planned": self.planned,
            "target": self.target, "server_version": self.server_version,
            "selection": {"profiles": [], "level": None, "strict": self.strict, "expectations": [],
                          "rerun_of": None, "deselected": 0, **self.selection},
            "counts": self.counts(),
            "totals": totals(tests),
            "gate": self.gate().as_json(),
            "cleanup": {"problems": [redact(p) for p in self.cleanup_problems]},
            "tests": tests,
        }

    def write(self, path: Path) -> dict[str, Any]:
        data = self.as_json()
        write_json(path, data)
        return data


def totals(tests: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    by_resource: dict[str, dict[str, int]] = {}
    by_level: dict[str, dict[str, int]] = {}
    for test in tests:
        by_resource.setdefault(test.get("resource") or "-", zero_counts())[test["outcome"]] += 1
        by_level.setdefault(test.get("level") or "-", zero_counts())[test["outcome"]] += 1
    return {"by_resource": dict(sorted(by_resource.items())), "by_level": dict(sorted(by_level.items()))}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no selection, totals, gate, transcript, requirement or expectation."""
    for test in data.get("tests", []):
        test.setdefault("phase", None)
        test.setdefault("details", "")
        test.setdefault("transcript", "")
        test.setdefault("reproduce", [])
        test.setdefault("requirement", "")
        test.setdefault("expectation", None)
        test.setdefault("gate", gating.effect(test["outcome"], test.get("level")))
    data.setdefault("selection", {"profiles": [], "level": None, "strict": False, "expectations": [],
                                  "rerun_of": None, "deselected": 0})
    data.setdefault("totals", totals(data.get("tests", [])))
    tests = data.get("tests", [])
    data.setdefault("gate", gating.evaluate(((t["id"], t["outcome"], t.get("level")) for t in tests),
                                            interrupted=bool(data.get("interrupted"))).as_json())
    data.setdefault("cleanup", {"problems": []})
    return data


def resolve(path: str | Path) -> Path:
    """A summary.json, or a run directory that holds one."""
    candidate = Path(path)
    if candidate.is_dir():
        candidate = candidate / "summary.json"
    return candidate


def load(path: str | Path) -> dict[str, Any]:
    """Reads a summary (file or run directory); version 1 is upgraded in memory. ValueError if unreadable."""
    file = resolve(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{file}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") not in READABLE_VERSIONS:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise ValueError(f"{file}: unsupported summary schema_version {found!r} (readable: {READABLE_VERSIONS})")
    if not isinstance(data.get("tests"), list):
        raise ValueError(f"{file}: no 'tests' list")
    data = _upgrade_v1(data) if data["schema_version"] == 1 else data
    if data.get("interrupted") and isinstance(data.get("gate"), dict):  # files written before the verdict existed
        data["gate"].update(verdict=gating.INTERRUPTED, exit_code=int(ExitCode.INTERRUPTED))
    return data
