"""Units of the proof that an object is the run's: ids as path segments, read-back, journal answers.

The behaviour end to end is in test_safety_lying_server.py; these pin each rule down on its own.
"""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from flowise_conformance.cleanup import clean
from flowise_conformance.ids import UnsafeId, check_path, item_path, segment
from flowise_conformance.plugins.safety.guard import Guard, SafetyRefused
from flowise_conformance.plugins.safety.inventory import InventoryFailed, foreign_ids
from flowise_conformance.proof import ABSENT, OTHER, OURS, Reading
from flowise_conformance.run import Journal

BASE = "http://127.0.0.1:3000"
TAG = "abc123"


@pytest.mark.parametrize("odd", [".", "..", "a/b", "?x", "#", "%2e%2e", "%2E%2e", "%252e%252e", "a%2Fb", "a\\b", ""])
def test_an_id_that_is_not_one_path_segment_is_refused(odd):
    """Empty, dot segments (also percent-encoded, once or twice), separators, '?', '#': UnsafeId, nothing built."""
    with pytest.raises(UnsafeId):
        item_path("chatflows", odd)


def test_an_id_becomes_exactly_one_encoded_segment():
    """Characters a path would read differently are percent-encoded; uuids and ints pass as they are."""
    assert item_path("chatflows", "a b%41") == "chatflows/a%20b%2541"
    assert item_path("document-store/chunks", "s-1", "all", 1) == "document-store/chunks/s-1/all/1"
    assert segment("3f0c8e6a-1f4c-4c52-9d0e-6b1f0c2a7e51") == "3f0c8e6a-1f4c-4c52-9d0e-6b1f0c2a7e51"


@pytest.mark.parametrize("path", ["chatflows/..", "chatflows/../../etc/passwd", "chatflows/%2e%2e", "chatflows/?x",
                                  "chatflows/#", "/api/v1/./chatflows"])
def test_a_client_path_that_a_resolver_would_change_is_refused(path):
    """The client's last check: a dot segment, '?' or '#' in the path (an id pasted in unencoded)."""
    with pytest.raises(UnsafeId):
        check_path(path)


@pytest.mark.parametrize("method,path", [("DELETE", "/api/v1/chatflows"), ("DELETE", "/api/v1"), ("PUT", "/api/v1"),
                                         ("PUT", "/api/v1/chatflows"), ("DELETE", "/api/etc/passwd-30"),
                                         ("DELETE", "/api/v1/chatflows/a/b"), ("DELETE", "/api/v1/chatflows/%2e%2e")])
def test_the_guard_sends_writes_only_to_the_apis_write_operations(method, path):
    """A write whose path resolved away from its operation (a collection, the API root, outside it) is refused."""
    guard = Guard(BASE)
    with pytest.raises(SafetyRefused):
        guard.check(method, BASE + path)


def test_the_guard_lets_the_apis_write_operations_through():
    guard = Guard(BASE)
    for method, path in [("POST", "/api/v1/chatflows"), ("PUT", "/api/v1/chatflows/c-1"),
                         ("DELETE", "/api/v1/document-store/store/s-1"), ("POST", "/api/v1/attachments/c-1/chat-1")]:
        guard.check(method, BASE + path)


def _guard(reading: Reading, created: set[str] = frozenset(), deleted: set[str] = frozenset()) -> Guard:  # type: ignore[assignment]
    guard = Guard(BASE, reader=lambda kind, obj_id: reading)
    guard.created_ids |= set(created)
    guard.deleted_ids |= set(deleted)
    return guard


def test_a_write_to_an_object_without_the_runs_name_is_refused():
    """PUT/DELETE of an object the server shows under another name: refused unsent, whatever the journal says."""
    guard = _guard(Reading(OTHER, "item", "customer_tool", "the server shows it as 'customer_tool'"), created={"t-1"})
    for method in ("PUT", "DELETE"):
        with pytest.raises(SafetyRefused, match="cannot prove tool t-1"):
            guard.check(method, f"{BASE}/api/v1/tools/t-1")
    _guard(Reading(OURS, "item", f"fc_{TAG}_gw_tool_1")).check("PUT", f"{BASE}/api/v1/tools/t-1")


def test_an_object_hidden_from_its_list_is_not_taken_for_absent():
    """A variable (list-only read-back) whose id a create answered but its list does not show: refused;
    an id the run made up, or one it deleted itself, may be written (a not-found check)."""
    hidden = Reading(ABSENT, "list")
    with pytest.raises(SafetyRefused):
        _guard(hidden, created={"v-1"}).check("PUT", f"{BASE}/api/v1/variables/v-1")
    _guard(hidden).check("PUT", f"{BASE}/api/v1/variables/v-1")
    _guard(hidden, created={"v-1"}, deleted={"v-1"}).check("DELETE", f"{BASE}/api/v1/variables/v-1")


def test_deleting_a_chatflows_messages_needs_proof_of_the_chatflow():
    guard = _guard(Reading(OTHER, "item", "customer flow", "not ours"), created={"c-1"})
    with pytest.raises(SafetyRefused, match="chatflow c-1"):
        guard.check("DELETE", f"{BASE}/api/v1/chatmessage/c-1")


def _journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / f"20260101-000000-{TAG}" / "journal.jsonl")


def test_a_create_answered_4xx_is_journaled_as_not_created(tmp_path):
    """A wrong key (401) or a refused body (400): the intent is closed at once, so no cleanup looks for it."""
    journal = _journal(tmp_path)
    guard = Guard(BASE, run_prefix=f"fc-{TAG}-", intent_to=journal.creating, resolved_to=journal.resolved,
                  journal_to=lambda k, i, n: None)
    for status in (401, 400):
        name = guard.intent("tool", json.dumps({"name": f"fc_{TAG}_gw_tool_{status}"}).encode())
        guard.journal_answer("tool", status, b'{"message": "no"}', name)
    name = guard.intent("tool", json.dumps({"name": f"fc_{TAG}_gw_tool_500"}).encode())
    guard.journal_answer("tool", 500, b'{"message": "maybe made"}', name)
    assert journal.pending_creates() == [("tool", f"fc_{TAG}_gw_tool_500")], journal.pending_creates()


def test_a_create_answering_a_foreign_or_unusable_id_is_not_journaled(tmp_path):
    """The id of an object that was there before, or one that cannot go into a URL, is a defect: not journaled,
    the intent stays open (the sweep looks for the real object by its name)."""
    journaled: list[str] = []
    guard = Guard(BASE, foreign=frozenset({"v-user"}), journal_to=lambda k, i, n: journaled.append(i))
    for answered in ("v-user", "..", "a/b", ""):
        guard.journal_answer("variable", 200, json.dumps({"id": answered}).encode(), f"fc_{TAG}_gw_var_1")
    guard.journal_answer("variable", 200, b'{"id": "v-mine"}', f"fc_{TAG}_gw_var_2")
    assert journaled == ["v-mine"] and len(guard.defects) == 4, (journaled, guard.defects)


class _Server:
    """A fake target for cleanup: GET of items and lists, DELETE that may delete nothing."""

    def __init__(self, objects: dict[str, dict], delete_works: bool = True) -> None:
        self.objects = objects  # path -> object
        self.delete_works = delete_works
        self.sent: list[str] = []

    def get(self, path: str) -> httpx.Response:
        self.sent.append(f"GET {path}")
        if path in self.objects:
            return httpx.Response(200, json=self.objects[path])
        listed = [o for p, o in self.objects.items() if p.rsplit("/", 1)[0] == path]
        return httpx.Response(200, json=listed) if listed or path.count("/") == 3 else httpx.Response(404, json={})

    def delete(self, path: str) -> httpx.Response:
        self.sent.append(f"DELETE {path}")
        if self.delete_works:
            self.objects.pop(path, None)
        return httpx.Response(200, json={})


def test_cleanup_deletes_only_what_reads_back_with_the_runs_name(tmp_path):
    """A journaled id the server shows as a user's object is listed as left alone, never deleted."""
    journal = _journal(tmp_path)
    journal.created("tool", "t-user", "/api/v1/tools/t-user", f"fc_{TAG}_gw_tool_1")
    journal.created("tool", "t-mine", "/api/v1/tools/t-mine", f"fc_{TAG}_gw_tool_2")
    server = _Server({"/api/v1/tools/t-user": {"id": "t-user", "name": "customer_tool"},
                      "/api/v1/tools/t-mine": {"id": "t-mine", "name": f"fc_{TAG}_gw_tool_2"}})
    report = clean(server, journal)  # type: ignore[arg-type]
    assert [s for s in server.sent if s.startswith("DELETE")] == ["DELETE /api/v1/tools/t-mine"], server.sent
    left = [i.line() for i in report.left]
    assert len(left) == 1 and "t-user" in left[0] and "customer_tool" in left[0] and "LEFT ALONE" in left[0], left


def test_a_delete_answered_2xx_that_deleted_nothing_is_reported_left(tmp_path):
    """Every DELETE is confirmed by reading the object back; one still there is a failure with its name and id."""
    journal = _journal(tmp_path)
    journal.created("tool", "t-mine", "/api/v1/tools/t-mine", f"fc_{TAG}_gw_tool_2")
    server = _Server({"/api/v1/tools/t-mine": {"id": "t-mine", "name": f"fc_{TAG}_gw_tool_2"}}, delete_works=False)
    report = clean(server, journal)  # type: ignore[arg-type]
    assert report.count("failed") == 1 and "still there" in report.left[0].line(), [i.line() for i in report.items]
    assert journal.outstanding(), "an object still there must stay in the journal"


def test_cleanup_never_touches_an_id_of_the_start_of_run_inventory(tmp_path):
    """cleanup --run-id has the run's inventory (journaled): such an id is left alone without a request."""
    journal = _journal(tmp_path)
    journal.inventory(["t-user"])
    journal.created("tool", "t-user", "/api/v1/tools/t-user", f"fc_{TAG}_gw_tool_1")
    server = _Server({"/api/v1/tools/t-user": {"id": "t-user", "name": f"fc_{TAG}_gw_tool_1"}})
    report = clean(server, journal)  # type: ignore[arg-type]
    assert not any(s.startswith(("DELETE", "GET /api/v1/tools/t-user")) for s in server.sent), server.sent
    assert report.count("unproven") == 1


def test_an_object_proven_the_runs_stays_the_runs_when_the_run_renames_it(tmp_path):
    """Read back with the run's name once (journaled), then renamed to '' by the run's own update: cleanup
    still deletes it (before: LEFT ALONE, 12-13 such objects after each real-Flowise run)."""
    from flowise_conformance.cleanup import _prover

    journal = _journal(tmp_path)
    journal.created("tool", "t-mine", "/api/v1/tools/t-mine", f"fc_{TAG}_gw_tool_2")
    server = _Server({"/api/v1/tools/t-mine": {"id": "t-mine", "name": f"fc_{TAG}_gw_tool_2"}})
    assert _prover(server, journal).read("tool", "t-mine").state == OURS  # type: ignore[arg-type]  # the guard's proof
    server.objects["/api/v1/tools/t-mine"]["name"] = ""  # what the fuzzed PUT then stored
    report = clean(server, journal)  # type: ignore[arg-type]
    assert "DELETE /api/v1/tools/t-mine" in server.sent and report.count("deleted") == 1, \
        f"Expected: the renamed object deleted\nReceived: {[i.line() for i in report.items]}"


def test_without_an_earlier_proof_a_journaled_id_with_another_name_is_left_alone(tmp_path):
    """The journal's 'created' is not proof (a create may answer another object's id): no read-back showed
    the run's name, so the object is not deleted."""
    journal = _journal(tmp_path)
    journal.created("tool", "t-user", "/api/v1/tools/t-user", f"fc_{TAG}_gw_tool_1")
    server = _Server({"/api/v1/tools/t-user": {"id": "t-user", "name": ""}})
    report = clean(server, journal)  # type: ignore[arg-type]
    assert not [s for s in server.sent if s.startswith("DELETE")], f"Expected: no DELETE\nReceived: {server.sent}"
    assert report.count("unproven") == 1, [i.line() for i in report.items]


def test_a_proof_ends_when_the_object_is_seen_gone(tmp_path):
    """Absent once, the id is no longer the run's: a server that reuses it for another object is not believed."""
    from flowise_conformance.proof import Prover

    journal = _journal(tmp_path)
    server = _Server({"/api/v1/tools/t-1": {"id": "t-1", "name": f"fc_{TAG}_gw_tool_1"}})
    prover = Prover(server, TAG, journal)  # type: ignore[arg-type]
    assert prover.read("tool", "t-1").state == OURS
    del server.objects["/api/v1/tools/t-1"]
    assert prover.read("tool", "t-1").state == ABSENT
    server.objects["/api/v1/tools/t-1"] = {"id": "t-1", "name": "customer_tool"}  # the id reused
    reading = prover.read("tool", "t-1")
    assert reading.state == OTHER, f"Expected: not the run's after it was gone\nReceived: {reading}"
    assert ("tool", "t-1") not in journal.proven_ids()


@pytest.mark.parametrize("answer", [httpx.Response(503, json={}), httpx.Response(307, headers={"location": "/x"}),
                                    httpx.Response(200, text="<html>")])
def test_an_inventory_list_that_fails_stops_the_run(answer, monkeypatch):
    """A list the run writes to that answers an error, a redirect or no list: InventoryFailed, naming it."""
    from flowise_conformance.client import FlowiseClient
    from flowise_conformance.config import Target

    def get(self, path: str, **kwargs) -> httpx.Response:  # noqa: ANN001, ANN003
        return answer if path == "/api/v1/variables" else httpx.Response(200, json=[])

    monkeypatch.setattr(FlowiseClient, "get", get)
    with pytest.raises(InventoryFailed, match="GET /api/v1/variables"):
        foreign_ids(Target(base_url=BASE, api_key="k"))


def test_an_inventory_accepts_404_only_where_the_run_never_writes(monkeypatch):
    """API keys and credentials may be missing (404); a collection the run writes to may not."""
    from flowise_conformance.client import FlowiseClient
    from flowise_conformance.config import Target

    def get(self, path: str, **kwargs) -> httpx.Response:  # noqa: ANN001, ANN003
        if path in ("/api/v1/apikey", "/api/v1/credentials"):
            return httpx.Response(404, json={})
        return httpx.Response(200, json=[{"id": f"{path.rsplit('/', 1)[-1]}-1"}])

    monkeypatch.setattr(FlowiseClient, "get", get)
    assert "tools-1" in foreign_ids(Target(base_url=BASE, api_key="k"))
