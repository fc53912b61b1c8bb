"""Foreign data untouched: a full run next to a user's objects leaves them byte for byte as they were.

The reference server runs on a SQLite file, pre-seeded through the API with objects of every
resource it implements (tests/safety_support.SEEDS); after a full run (fuzzing included) its
whole stored state is compared with the state before.
"""
from __future__ import annotations

import json

from flowise_conformance import paths
from tests.safety_support import (RefServer, cli_env, diff_dumps, finish, journaled_ids, run_objects, seed,
                                  start_cli)

KEY = "fc-foreign-data-key-3a9e04"
RUN_ID = "20260101-000000-f0e1d2"


def test_full_run_leaves_preseeded_objects_unchanged_and_nothing_of_its_own(tmp_path):
    """After a full run: 0 pre-seeded objects changed or gone, 0 objects of the run left, every create journaled."""
    reports = tmp_path / "reports"
    with RefServer(tmp_path, KEY) as server:
        seeded = seed(server)
        server.created.clear()
        before = server.dump()
        proc = start_cli(["run", "--base-url", server.base_url, "--report-dir", str(reports), "--run-id", RUN_ID,
                          "-n", "2"], tmp_path / "cwd", cli_env(KEY))
        code, out, err = finish(proc, timeout=1500)
        after = server.dump()
        created = list(server.created)
    changes = diff_dumps(before, after)
    leftovers = run_objects(after, RUN_ID)
    journal = reports / RUN_ID / "journal.jsonl"
    unjournaled = sorted({f"{path} {oid}" for path, oid in created} - {f"{p} {i}" for p, i in created
                                                                       if i in journaled_ids(journal)})
    summary = json.loads((reports / RUN_ID / "summary.json").read_text())
    print(f"foreign data: seeded {len(before)} objects ({', '.join(seeded.made)}; not implemented by the "
          f"reference: {', '.join(seeded.not_implemented) or 'none'}); the run created {len(created)} through the API; "
          f"changed {len(changes['changed'])}, gone {len(changes['gone'])}, new {len(changes['new'])}, "
          f"left with the run's prefix {len(leftovers)}, not journaled {len(unjournaled)}; exit {code}, "
          f"{summary['counts']}")
    assert {"chatflow", "chatmessage", "tool", "variable"} <= set(seeded.made), seeded
    assert code == 0, out[-4000:] + err[-2000:]
    if (paths.suites_dir() / "fuzz").is_dir():  # "including fuzzing when suites/fuzz exists"
        assert any(t["id"].startswith("fuzz/") and t["outcome"] == "passed" for t in summary["tests"]), "no fuzz test ran"
    assert created, "the run created nothing: the test proves nothing"
    assert changes["changed"] == [], f"pre-seeded objects changed: {changes['changed']}"
    assert changes["gone"] == [], f"pre-seeded objects gone: {changes['gone']}"
    assert leftovers == [] and changes["new"] == [], f"left over: {changes['new'][:20]}"
    assert unjournaled == [], f"created but never journaled: {unjournaled[:20]}"


def test_the_comparison_sees_a_changed_a_deleted_and_a_leftover_object(tmp_path):
    """The check above can fail: a PUT on a seeded tool, a DELETE of a seeded variable, a new fc- object all show."""
    with RefServer(tmp_path, KEY) as server:
        seed(server)
        before = server.dump()
        tool = next(i for (k, i) in before if k == "tool")
        variable = next(i for (k, i) in before if k == "variable")
        with server.client() as http:
            assert http.put(f"/api/v1/tools/{tool}", json={"description": "changed"}).status_code == 200
            assert http.delete(f"/api/v1/variables/{variable}").status_code == 200
            assert http.post("/api/v1/variables", json={"name": f"fc-{RUN_ID[-6:]}-gw-x-1", "value": "v",
                                                        "type": "static"}).status_code == 200
        after = server.dump()
    changes = diff_dumps(before, after)
    assert changes["changed"] == [f"tool {tool}"]
    assert changes["gone"] == [f"variable {variable}"]
    assert len(changes["new"]) == 1 and run_objects(after, RUN_ID)


def test_guard_refuses_writes_to_objects_that_existed_before_the_run(tmp_path):
    """The guard lists the target's objects at the start; PUT/DELETE/POST naming one of them is refused unsent."""
    import textwrap

    from tests.safety_support import start_cli_on_suites

    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_foreign.py").write_text(textwrap.dedent('''
        """Misbehaving tests: they aim at objects the run did not create."""
        import os
        import pytest

        pytestmark = [pytest.mark.resource("hostile"), pytest.mark.mutating]
        IDS = dict(item.split("=") for item in os.environ["FC_TEST_FOREIGN"].split(","))


        @pytest.mark.level("MUST")
        def test_put_foreign_tool(api):
            """Renames a tool that was there before the run."""
            api.put(f"tools/{IDS['tool']}", json={"name": "hijacked"})


        @pytest.mark.level("MUST")
        def test_delete_foreign_chatflow(api):
            """Deletes a chatflow that was there before the run."""
            api.delete(f"chatflows/{IDS['chatflow']}")


        @pytest.mark.level("MUST")
        def test_predict_on_foreign_chatflow(anon):
            """Adds messages to a chatflow that was there before the run."""
            anon.post(f"prediction/{IDS['chatflow']}", json={"question": "hi"})
    '''))
    with RefServer(tmp_path, KEY) as server:
        seed(server)
        before = server.dump()
        ids = {kind: oid for (kind, oid) in before if kind in ("tool", "chatflow")}
        server.requests.clear()
        env = cli_env(KEY, FC_TEST_FOREIGN=",".join(f"{k}={v}" for k, v in ids.items()))
        proc = start_cli_on_suites(suites, ["run", "--base-url", server.base_url, "--report-dir",
                                            str(tmp_path / "reports"), "--run-id", "20260101-000000-f0e1d3",
                                            "-p", "no:xdist"], tmp_path / "cwd", env)
        code, out, err = finish(proc, timeout=300)
        unsafe = server.unsafe_requests()
        after = server.dump()
    summary = json.loads((tmp_path / "reports" / "20260101-000000-f0e1d3" / "summary.json").read_text())
    outcomes = {t["id"].split("::")[-1]: (t["outcome"], t["message"]) for t in summary["tests"]}
    print(json.dumps(outcomes, indent=1))
    assert unsafe == [], unsafe
    assert diff_dumps(before, after) == {"changed": [], "gone": [], "new": []}
    for name, (outcome, message) in outcomes.items():
        assert outcome == "error" and "existed on the target before this run" in message, (name, outcome, message)
    assert code == 1, out[-3000:] + err[-2000:]
