#!/usr/bin/env python3
"""Benchmark: full-run wall time with 1, 2 and 4 workers, and the suite's request rate
against a plain httpx loop on the same reference server in the same run.

Not a timed test: it prints a table and writes bench/results.json and bench/results.md.
Usage: python bench/run_bench.py [--workers 1 2 4] [--repeat 1]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from flowise_conformance.flows import direct_reply_agentflow

HERE = Path(__file__).resolve().parent


def start_server(stats: Path, key: str) -> tuple[subprocess.Popen, str]:
    ready = stats.with_suffix(".ready")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowise_conformance", "serve", "--port", "0", "--ready-file", str(ready),
         "--stats-file", str(stats)],
        env={**os.environ, "FC_REFERENCE_API_KEY": key}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not ready.exists():
        time.sleep(0.05)
    if not ready.exists():
        proc.kill()
        raise SystemExit("reference server did not start")
    return proc, ready.read_text().strip()


def stop_server(proc: subprocess.Popen, stats: Path) -> int:
    proc.send_signal(signal.SIGTERM)
    proc.wait(15)
    return json.loads(stats.read_text())["requests"]


def httpx_loop(base_url: str, key: str, seconds: float = 3.0) -> tuple[float, int]:
    """Requests per second of a plain sequential httpx loop (GET /chatflows, keep-alive), and its request count."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        for _ in range(20):
            client.get("/api/v1/chatflows")
        count, started = 0, time.monotonic()
        while time.monotonic() - started < seconds:
            client.get("/api/v1/chatflows").raise_for_status()
            count += 1
        return count / (time.monotonic() - started), count + 20


def httpx_crud_loop(base_url: str, key: str, seconds: float = 3.0) -> tuple[float, int]:
    """Requests per second of a plain sequential httpx loop over a chatflow's life, and its request count.

    Each cycle: create, get, update, list, predict (non-streamed, echo model), delete: the kind of
    requests the suite sends (writes, a prediction, SQLite commits), not only the cheapest read.
    """
    flow = {"name": "bench-flow", "flowData": direct_reply_agentflow(), "type": "AGENTFLOW"}
    count, started = 0, time.monotonic()
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        while time.monotonic() - started < seconds:
            flow_id = client.post("/api/v1/chatflows", json=flow).raise_for_status().json()["id"]
            client.get(f"/api/v1/chatflows/{flow_id}").raise_for_status()
            client.put(f"/api/v1/chatflows/{flow_id}", json={"name": "bench-flow-2"}).raise_for_status()
            client.get("/api/v1/chatflows").raise_for_status()
            client.post(f"/api/v1/prediction/{flow_id}", json={"question": "hello"}).raise_for_status()
            client.delete(f"/api/v1/chatflows/{flow_id}").raise_for_status()
            count += 6
    return count / (time.monotonic() - started), count


def one_run(workers: int) -> dict:
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="fc-bench-") as tmp:
        stats = Path(tmp) / "stats.json"
        proc, base_url = start_server(stats, key)
        try:
            loop_rate, loop_requests = httpx_loop(base_url, key)
            crud_rate, crud_requests = httpx_crud_loop(base_url, key)
            cmd = [sys.executable, "-m", "flowise_conformance", "run", "--base-url", base_url,
                   "--report-dir", str(Path(tmp) / "reports"), "-q"]
            cmd += ["-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
            started = time.monotonic()
            result = subprocess.run(cmd, cwd=tmp, env={**os.environ, "FLOWISE_API_KEY": key},
                                    capture_output=True, text=True, timeout=1800)
            wall = time.monotonic() - started
        finally:
            total = stop_server(proc, stats)
        suite_requests = max(0, total - loop_requests - crud_requests - 2)  # minus the loop and the preflight
        summary = json.loads(next(Path(tmp, "reports").glob("*/summary.json")).read_text())
    return {
        "workers": workers, "exit": result.returncode, "wall_s": round(wall, 2), "tests": len(summary["tests"]),
        "suite_requests": suite_requests, "suite_rate": round(suite_requests / wall, 1),
        "httpx_loop_rate": round(loop_rate, 1), "ratio": round(suite_requests / wall / loop_rate, 2),
        "httpx_crud_rate": round(crud_rate, 1), "crud_ratio": round(suite_requests / wall / crud_rate, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    rows = []
    for workers in args.workers:
        row = one_run(workers)
        rows.append(row)
        print(json.dumps(row), flush=True)
    lines = ["| workers | exit | wall time (s) | tests | suite requests | suite req/s "
             "| httpx loop, GET list (req/s) | ratio | httpx loop, chatflow life (req/s) | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['exit']} | {r['wall_s']} | {r['tests']} | {r['suite_requests']} | "
                     f"{r['suite_rate']} | {r['httpx_loop_rate']} | {r['ratio']} | {r['httpx_crud_rate']} | "
                     f"{r['crud_ratio']} |")
    table = "\n".join(lines)
    print(table)
    (HERE / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    (HERE / "results.md").write_text(f"Machine: {os.cpu_count()} cores; `python bench/run_bench.py`\n\n{table}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
