"""summary.json: the versioned, documented result of one run (see docs/summary-schema.md).

Schema version 1:
    schema_version: 1
    tool: {name, version}
    run_id, started, finished (ISO 8601 UTC), duration_s, interrupted: bool
    target: the redacted target configuration; server_version: str | null
    counts: {passed, failed, skipped, error, expected-failure, stale-expectation}
    tests: [{id, outcome, duration_s, message, resource, level, mutating}]
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flowise_conformance import __version__
from flowise_conformance.outcomes import Outcome
from flowise_conformance.redact import redact

SCHEMA_VERSION = 1
MESSAGE_LIMIT = 4000


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class TestResult:
    id: str
    outcome: Outcome = Outcome.PASSED
    duration_s: float = 0.0
    message: str = ""
    details: str = ""
    resource: str | None = None
    level: str | None = None
    mutating: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "outcome": self.outcome.value, "duration_s": round(self.duration_s, 4),
            "message": redact(self.message)[:MESSAGE_LIMIT], "details": redact(self.details)[: 4 * MESSAGE_LIMIT],
            "resource": self.resource, "level": self.level, "mutating": self.mutating,
        }


@dataclass
class RunSummary:
    run_id: str
    target: dict[str, Any]
    started: str = field(default_factory=iso_now)
    finished: str | None = None
    duration_s: float = 0.0
    interrupted: bool = False
    server_version: str | None = None
    tests: dict[str, TestResult] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {o.value: 0 for o in Outcome}
        for result in self.tests.values():
            out[result.outcome.value] += 1
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "flowise-conformance", "version": __version__},
            "run_id": self.run_id, "started": self.started, "finished": self.finished,
            "duration_s": round(self.duration_s, 3), "interrupted": self.interrupted,
            "target": self.target, "server_version": self.server_version,
            "counts": self.counts(),
            "tests": [t.as_json() for t in sorted(self.tests.values(), key=lambda t: t.id)],
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: unsupported summary schema_version {data.get('schema_version')!r}")
    return data
