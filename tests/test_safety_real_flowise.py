"""Safety against a real Flowise (opt-in: FC_SAFETY_REAL_TARGET=<target file>, e.g. /work/calib/flowise-3100.toml).

- --read-only through a recording proxy: no POST, PUT, PATCH or DELETE reaches Flowise.
- a full run next to objects seeded for the test: they are unchanged as the API shows them
  (byte for byte, including their messages and feedback), and no object of the run is left.
Other runs may share the server, so only the objects seeded here and the run's own prefix count.
"""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

from flowise_conformance.config import load_target
from tests.safety_support import SEEDS, RecordingProxy, cli_env, finish, start_cli

TARGET_FILE = os.environ.get("FC_SAFETY_REAL_TARGET")
pytestmark = pytest.mark.skipif(not TARGET_FILE, reason="set FC_SAFETY_REAL_TARGET to a real Flowise target file")
LISTS = {"chatflow": "/api/v1/chatflows", "tool": "/api/v1/tools", "variable": "/api/v1/variables",
         "assistant": "/api/v1/assistants?type=CUSTOM", "document_store": "/api/v1/document-store/store",
         "apikey": "/api/v1/apikey"}


def _target():  # noqa: ANN202
    return load_target(target_file=TARGET_FILE)


def _client(target) -> httpx.Client:  # noqa: ANN001
    return httpx.Client(base_url=target.base_url, headers={"Authorization": f"Bearer {target.api_key}"},
                        timeout=30, trust_env=False, follow_redirects=False)


def _listed(http: httpx.Client) -> dict[str, list[dict]]:
    out = {}
    for kind, path in LISTS.items():
        response = http.get(path)
        data = response.json() if response.status_code == 200 else []
        out[kind] = data.get("data", []) if isinstance(data, dict) else data
    return out


def test_read_only_run_sends_no_write_to_real_flowise(tmp_path):
    """--read-only against real Flowise through a recording proxy: only reads reach it."""
    target = _target()
    with RecordingProxy(target.base_url) as proxy:
        proc = start_cli(["run", "--target", TARGET_FILE, "--base-url", proxy.base_url, "--read-only",
                          "--report-dir", str(tmp_path / "reports")], tmp_path / "cwd", cli_env())
        code, out, err = finish(proc, timeout=1800)
        seen = list(proxy.requests)
    unsafe = [r for r in seen if r[0] in ("POST", "PUT", "PATCH", "DELETE")]
    print(f"real Flowise --read-only: exit {code}; {len(seen)} requests, {len(unsafe)} state-changing\n{out[-1500:]}")
    assert seen and unsafe == [], unsafe[:10]


def _snapshot(http: httpx.Client, seeded: dict[str, str]) -> dict[str, str]:
    """What the API shows of each seeded object (and the seeded chatflow's messages and feedback), as text."""
    listed = _listed(http)
    shot = {}
    for kind, oid in seeded.items():
        if kind in listed:
            found = [item for item in listed[kind] if item.get("id") == oid]
            shot[f"{kind} {oid}"] = json.dumps(found, sort_keys=True)
    flow = seeded["chatflow"]
    for what, path in (("chatmessage", f"/api/v1/chatmessage/{flow}"), ("feedback", f"/api/v1/feedback/{flow}"),
                       ("chatflow (GET)", f"/api/v1/chatflows/{flow}")):
        response = http.get(path)
        shot[what] = f"{response.status_code} {response.text}"
    return shot


def test_full_run_leaves_seeded_objects_unchanged_and_nothing_of_its_own_on_real_flowise(tmp_path):
    """A full run against real Flowise: seeded objects unchanged, 0 objects with the run's prefix left."""
    target = _target()
    run_id = f"20260101-000000-{uuid.uuid4().hex[:6]}"
    seeded: dict[str, str] = {}
    saved: dict = {}
    with _client(target) as http:
        for seed in SEEDS:
            if seed.resource in ("apikey",):
                continue  # a new API key on a shared server is more than this test needs
            response = http.request(seed.method, seed.path.format(**saved), json=seed.body(saved))
            assert response.is_success, f"seeding {seed.resource}: {response.status_code} {response.text[:300]}"
            body = response.json()
            if seed.save:
                saved[seed.save] = body
            if isinstance(body, dict) and isinstance(body.get("id"), str) and seed.resource not in ("feedback",):
                seeded.setdefault(seed.resource, body["id"])
        seeded["chatflow"] = saved["chatflow"]["id"]
        before = _snapshot(http, seeded)
        try:
            proc = start_cli(["run", "--target", TARGET_FILE, "--report-dir", str(tmp_path / "reports"),
                              "--run-id", run_id], tmp_path / "cwd", cli_env())
            code, out, err = finish(proc, timeout=3600)
            after = _snapshot(http, seeded)
            prefix = f"fc-{run_id.rsplit('-', 1)[-1]}-"
            left = [f"{kind} {item.get('id')}" for kind, items in _listed(http).items() for item in items
                    if prefix in json.dumps(item)]
        finally:
            for kind, path in (("assistant", "/api/v1/assistants/{}"), ("document_store", "/api/v1/document-store/store/{}"),
                               ("tool", "/api/v1/tools/{}"), ("variable", "/api/v1/variables/{}"),
                               ("chatflow", "/api/v1/chatflows/{}")):
                if kind in seeded:
                    http.delete(path.format(seeded[kind]))  # what this test created
    changed = sorted(k for k in before if before[k] != after.get(k))
    summary = json.loads(next(Path(tmp_path / "reports").glob("*/summary.json")).read_text())
    print(f"real Flowise full run: exit {code}, {summary['counts']}; seeded {sorted(seeded)}; "
          f"changed {changed}; left with the run's prefix {len(left)}")
    assert changed == [], {k: (before[k][:300], after.get(k, "")[:300]) for k in changed}
    assert left == [], left[:20]
