"""Nothing foreign touched, whatever the server answers: runs and ``cleanup`` against a lying server.

Each case seeds a user's objects (tests/safety_support.SEEDS) into a reference server, switches
one lie on (tests/lying_support.Lies), runs a few suites through the CLI, and, where the case
leaves something, runs ``flowise-conformance cleanup --run-id`` as the run recommends. Then:
0 pre-existing objects changed or gone; no state-changing request named a pre-existing id or
left the API's write operations; every object of the run still on the server is reported with
its name and id. Each case prints its figures (what the server received, what was reported).
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from flowise_conformance import paths
from flowise_conformance.spec import load_spec
from tests.lying_support import Lies, LyingServer, cycle
from tests.safety_support import cli_env, diff_dumps, finish, run_objects, seed, start_cli

KEY = "fc-lying-server-key-7c41d9"
ODD_IDS = (".", "..", "a/b", "?x", "#", "%2e%2e", "")


@dataclass
class Case:
    code: int
    out: str
    err: str
    before: dict[tuple[str, str], str]
    after: dict[tuple[str, str], str]
    seeded: dict[str, str]  # kind -> id of the user's object
    writes: list[tuple[str, str]]  # (method, raw path) of every POST/PUT/PATCH/DELETE the server received
    summary: dict[str, Any] | None
    seconds: float
    cleanup: tuple[int, str] | None = None  # (exit code, stdout) of `cleanup --run-id`
    cleanup_writes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return list((self.summary or {}).get("cleanup", {}).get("problems", []))

    def leftovers(self, run_id: str) -> list[str]:
        return run_objects(self.after, run_id)


def run_case(tmp_path: Path, run_id: str, lies_for: Callable[[dict[str, str], str], Lies], suites: list[str],
             *extra: str, cleanup: bool = False) -> Case:
    """Seed, switch the lie on, run ``suites`` (and ``cleanup --run-id``), and record what happened."""
    reports = tmp_path / "reports"
    with LyingServer(tmp_path, KEY, Lies()) as server:
        seed(server)
        before = server.dump()
        seeded = {kind: oid for (kind, oid) in before}
        server.lies = lies_for(seeded, server.base_url)
        server.raw_requests.clear()
        started = time.monotonic()
        proc = start_cli(["run", "--base-url", server.base_url, "--report-dir", str(reports), "--run-id", run_id,
                          "-p", "no:xdist", *extra,
                          *(str(paths.suites_dir() / s) for s in suites)], tmp_path / "cwd", cli_env(KEY))
        code, out, err = finish(proc, timeout=400)
        seconds = time.monotonic() - started
        writes = server.unsafe_raw()
        done = None
        cleanup_writes: list[tuple[str, str]] = []
        if cleanup:
            server.raw_requests.clear()
            proc = start_cli(["cleanup", "--run-id", run_id, "--report-dir", str(reports)], tmp_path / "cwd",
                             cli_env(KEY))
            ccode, cout, cerr = finish(proc, timeout=120)
            done = (ccode, cout + cerr)
            cleanup_writes = server.unsafe_raw()
        after = server.dump()
    summary_file = reports / run_id / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else None
    return Case(code, out, err, before, after, seeded, writes, summary, seconds, done, cleanup_writes)


def write_operations() -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of the spec's state-changing operations (read here, not from the code under test)."""
    return [(m.upper(), re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)) + "$"))
            for t, ops in load_spec()["paths"].items() for m in ops if m.upper() in ("POST", "PUT", "PATCH", "DELETE")]


def shown_name(obj: dict[str, Any]) -> str | None:
    """The stored object's name (an assistant's is inside its details JSON)."""
    details = obj.get("details")
    if not isinstance(obj.get("name"), str) and isinstance(details, str):
        obj = json.loads(details)
    return obj.get("name") if isinstance(obj.get("name"), str) else None


def naming(writes: list[tuple[str, str]], obj_id: str) -> list[tuple[str, str]]:
    return [w for w in writes if obj_id in w[1]]


def off_the_api(writes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """State-changing requests that are not one of the spec's write operations (a path resolved away)."""
    operations = write_operations()
    return [(m, p) for m, p in writes if not any(m == om and pattern.match(p.rstrip("/")) for om, pattern in operations)]


def report(name: str, case: Case, run_id: str) -> None:
    print(f"[{name}] exit {case.code} in {case.seconds:.1f} s; server received {len(case.writes)} writes "
          f"({len(off_the_api(case.writes))} outside the API's write operations); pre-existing changed "
          f"{len(diff_dumps(case.before, case.after)['changed'])}, gone {len(diff_dumps(case.before, case.after)['gone'])}; "
          f"run objects left {len(case.leftovers(run_id))}; cleanup problems reported {len(case.problems)}"
          + (f"; cleanup --run-id exit {case.cleanup[0]}, writes {len(case.cleanup_writes)}" if case.cleanup else ""))


def untouched(case: Case) -> None:
    changes = diff_dumps(case.before, case.after)
    assert changes["changed"] == [], f"Expected: no pre-existing object changed\nReceived: {changes['changed']}"
    assert changes["gone"] == [], f"Expected: no pre-existing object deleted\nReceived: {changes['gone']}"


def leftovers_reported(case: Case, run_id: str, problems: list[str]) -> None:
    """Every object of the run still on the server appears, by id and by name, in ``problems``."""
    for entry in case.leftovers(run_id):
        kind, obj_id = entry.split(" ", 1)
        name = shown_name(json.loads(case.after[(kind, obj_id)]))
        lines = [p for p in problems if obj_id in p]
        assert lines, f"Expected: the left object {entry} reported\nReceived problems: {problems[:10]}"
        assert name is None or any(name in p for p in lines), \
            f"Expected: {entry} reported with its name {name!r}\nReceived: {lines}"


def test_a_create_that_answers_a_listed_objects_id_never_leads_to_touching_it(tmp_path):
    """Creates answer the user's (listed) variable's id: neither the run nor cleanup changes or deletes it,
    the run's real variables are found by name and deleted."""
    run_id = "20260101-000000-1a1e01"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(create_ids={"/api/v1/variables": cycle(s["variable"])}),
                    ["variables"], cleanup=True)
    report("create answers a listed object's id", case, run_id)
    untouched(case)
    assert naming(case.writes + case.cleanup_writes, case.seeded["variable"]) == []
    assert case.leftovers(run_id) == [], f"Expected: none of the run's variables left\nReceived: {case.leftovers(run_id)}"
    assert case.cleanup is not None and "deleted variable " + case.seeded["variable"] not in case.cleanup[1]


def test_a_create_that_answers_a_hidden_objects_id_never_leads_to_touching_it(tmp_path):
    """Creates answer the id of a user's object that no list shows (variable: list-only reads; tool: item
    GET): no PUT or DELETE reaches it, by the run or by cleanup; nothing of the run is left unreported."""
    run_id = "20260101-000000-1a1e02"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(
        create_ids={"/api/v1/variables": cycle(s["variable"]), "/api/v1/tools": cycle(s["tool"])},
        hidden={s["variable"], s["tool"]}), ["variables", "tools"], cleanup=True)
    report("create answers a hidden object's id", case, run_id)
    untouched(case)
    for kind in ("variable", "tool"):
        assert naming(case.writes + case.cleanup_writes, case.seeded[kind]) == [], \
            f"Expected: no write naming the hidden {kind}\nReceived: {naming(case.writes, case.seeded[kind])[:5]}"
    leftovers_reported(case, run_id, case.problems)
    assert case.leftovers(run_id) == [], f"Expected: the run's objects found by name and deleted\nReceived: {case.leftovers(run_id)}"


@pytest.mark.parametrize("status", [503, 307])
def test_a_failed_inventory_stops_the_run_before_its_first_write(tmp_path, status):
    """The start-of-run list of variables answers 503 or a redirect: exit 2 with one line, nothing written."""
    run_id = f"20260101-000000-1a1{status}"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(list_status={"/api/v1/variables": status}), ["variables"])
    report(f"inventory answers {status}", case, run_id)
    assert case.writes == [], f"Expected: no write\nReceived: {case.writes[:5]}"
    assert case.code == 2, f"Expected: exit 2\nReceived: exit {case.code}\n{case.out[-1500:]}{case.err[-1500:]}"
    lines = [line for line in (case.out + case.err).splitlines() if "cannot list what is on the target" in line]
    assert lines and "GET /api/v1/variables" in lines[0] and str(status) in lines[0], case.out + case.err


def test_a_failed_inventory_with_read_only_runs_and_writes_nothing(tmp_path):
    """With --read-only the run needs no inventory: it runs, and the server receives no write."""
    run_id = "20260101-000000-1a1e04"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(list_status={"/api/v1/variables": 503}), ["variables"],
                    "--read-only")
    report("inventory 503, --read-only", case, run_id)
    assert case.writes == [], f"Expected: no write\nReceived: {case.writes[:5]}"
    assert case.code != 2 and case.summary is not None, case.out[-1500:] + case.err[-1500:]


def test_odd_ids_in_create_answers_are_refused_and_nothing_leaves_the_api(tmp_path):
    """Chatflow creates answer '.', '..', 'a/b', '?x', '#', '%2e%2e' and '': every write the server receives is
    one of the spec's write operations, no pre-existing object changes, and the real chatflows are deleted."""
    run_id = "20260101-000000-1a1e05"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(create_ids={"/api/v1/chatflows": cycle(*ODD_IDS)}),
                    ["chatflows"], cleanup=True)
    report("odd ids in create answers", case, run_id)
    untouched(case)
    assert off_the_api(case.writes + case.cleanup_writes) == [], \
        f"Expected: writes only to the API's write operations\nReceived: {off_the_api(case.writes)[:10]}"
    assert all(p.startswith("/api/v1/") for _, p in case.writes + case.cleanup_writes)
    messages = " ".join(t["message"] or "" for t in case.summary["tests"]) if case.summary else ""
    assert "cannot go into a URL" in messages, "Expected: the odd ids reported as a server defect"
    assert case.leftovers(run_id) == [], f"Expected: the real chatflows found by name and deleted\nReceived: {case.leftovers(run_id)}"


def test_writes_redirected_to_a_users_object_are_never_followed(tmp_path):
    """Every PUT/DELETE answers 307 to the user's variable, which no list shows (so the inventory cannot
    protect it): neither the hand-written suite nor fuzzing (its auth checks included) follows, no write
    reaches that variable, and what the run could not delete is reported."""
    run_id = "20260101-000000-1a1e06"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(redirect_writes_to=f"/api/v1/variables/{s['variable']}",
                                                        hidden={s["variable"]}),
                    ["variables", "fuzz/test_fuzz_operations.py"], "-k", "variables", cleanup=True)
    report("writes redirected to a user's object", case, run_id)
    untouched(case)
    assert naming(case.writes + case.cleanup_writes, case.seeded["variable"]) == [], \
        f"Expected: no write to the user's variable\nReceived: {naming(case.writes, case.seeded['variable'])[:5]}"
    leftovers_reported(case, run_id, case.problems)
    assert case.leftovers(run_id), "the redirects left nothing: the case proves nothing"


def test_a_delete_that_deletes_nothing_is_reported_as_left(tmp_path):
    """DELETE answers 200 and deletes nothing: every object of the run still there is a cleanup problem with
    its name and id (summary.json), and cleanup --run-id lists them and exits 1."""
    run_id = "20260101-000000-1a1e07"
    case = run_case(tmp_path, run_id, lambda s, _: Lies(delete_noop=True), ["variables", "tools"], cleanup=True)
    report("DELETE answers 200, deletes nothing", case, run_id)
    untouched(case)
    assert case.leftovers(run_id), "nothing of the run was left: the case proves nothing"
    leftovers_reported(case, run_id, case.problems)
    assert case.cleanup is not None and case.cleanup[0] == 1, case.cleanup
    leftovers_reported(case, run_id, case.cleanup[1].splitlines())
