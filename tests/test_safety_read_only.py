"""--read-only: no POST, PUT, PATCH or DELETE reaches the target, whatever the tests do.

The target is the reference server behind a middleware that records every request's method.
"""
from __future__ import annotations

import json
import textwrap

from flowise_conformance.plugins.safety.read_only import READ_ONLY_REASON
from tests.safety_support import RefServer, cli_env, finish, seed, start_cli, start_cli_on_suites

KEY = "fc-read-only-key-5e2b71"


def test_read_only_full_run_sends_no_state_changing_request(tmp_path):
    """The whole suite with --read-only: exit 0, mutating tests skipped with the reason, the server saw only reads."""
    with RefServer(tmp_path, KEY) as server:
        seed(server)
        server.requests.clear()
        proc = start_cli(["run", "--read-only", "--base-url", server.base_url, "--report-dir",
                          str(tmp_path / "reports"), "--run-id", "20260101-000000-0eadb1"], tmp_path / "cwd",
                         cli_env(KEY))
        code, out, err = finish(proc, timeout=900)
        seen = list(server.requests)
    methods = sorted({m for m, _ in seen})
    unsafe = [r for r in seen if r[0] in ("POST", "PUT", "PATCH", "DELETE")]
    summary = json.loads((tmp_path / "reports" / "20260101-000000-0eadb1" / "summary.json").read_text())
    tests = summary["tests"]
    mutating = [t for t in tests if t["mutating"]]
    skipped = [t for t in tests if t["outcome"] == "skipped" and READ_ONLY_REASON in t["message"]]
    print(f"read-only: exit {code}; {len(seen)} requests, methods {methods}; {len(skipped)} skipped as state-changing ({len(mutating)} marked mutating), "
          f"{summary['counts']['passed']} passed")
    assert code == 0, out[-4000:] + err[-2000:]
    assert unsafe == [], f"state-changing requests reached the server: {unsafe[:10]}"
    assert any(m == "GET" for m, _ in seen), "no request at all: the test proves nothing"
    assert summary["counts"]["passed"] > 0
    assert mutating and all(t in skipped for t in mutating), \
        [t["id"] for t in mutating if t["outcome"] != "skipped"][:10]
    assert "no POST, PUT, PATCH or DELETE was sent" in out


UNMARKED = '''
    """Misbehaving tests: state-changing requests without the mutating marker."""
    import pytest

    pytestmark = [pytest.mark.resource("hostile")]


    @pytest.mark.level("MUST")
    def test_unmarked_create(api):
        """Creates a chatflow although not marked mutating."""
        api.post("chatflows", json={"name": "fc-unmarked", "flowData": "{}", "type": "CHATFLOW"})


    @pytest.mark.level("MUST")
    def test_unmarked_delete_swallowed(api):
        """Tries a DELETE and swallows whatever happens."""
        try:
            api.delete("chatflows/00000000-0000-4000-8000-000000000000")
        except Exception:
            pass


    @pytest.mark.level("MUST")
    def test_unmarked_put_with_plain_httpx(target):
        """A PUT with a client of its own, past the fixtures."""
        import httpx

        with httpx.Client(base_url=target.base_url, trust_env=False) as http:
            http.put("/api/v1/variables/00000000-0000-4000-8000-000000000000", json={"value": "x"})


    @pytest.mark.level("MUST")
    def test_reads_only(api):
        """A read-only test: runs and passes."""
        assert api.get("chatflows").status_code == 200
'''


def test_unmarked_mutating_tests_fail_as_harness_errors_and_send_nothing(tmp_path):
    """Tests that try POST/PUT/DELETE without the marker (even swallowing the error) are harness errors; nothing is sent."""
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_unmarked.py").write_text(textwrap.dedent(UNMARKED))
    with RefServer(tmp_path, KEY) as server:
        proc = start_cli_on_suites(suites, ["run", "--read-only", "--base-url", server.base_url, "--report-dir",
                                            str(tmp_path / "reports"), "--run-id", "20260101-000000-0eadb2",
                                            "-p", "no:xdist"], tmp_path / "cwd", cli_env(KEY))
        code, out, err = finish(proc, timeout=300)
        seen = list(server.requests)
    summary = json.loads((tmp_path / "reports" / "20260101-000000-0eadb2" / "summary.json").read_text())
    outcomes = {t["id"].split("::")[-1]: (t["outcome"], t["message"]) for t in summary["tests"]}
    print(json.dumps(outcomes, indent=1))
    assert [r for r in seen if r[0] not in ("GET", "HEAD", "OPTIONS")] == [], seen
    for name in ("test_unmarked_create", "test_unmarked_delete_swallowed", "test_unmarked_put_with_plain_httpx"):
        outcome, message = outcomes[name]
        assert outcome == "error" and "read-only" in message, (name, outcome, message)
    assert outcomes["test_reads_only"][0] == "passed"
    assert code == 1, out[-3000:] + err[-2000:]
