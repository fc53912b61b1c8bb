"""flowise_conformance.fixtures: the one create factory behind every suite's create_<x> fixture."""
from __future__ import annotations

import httpx
import pytest

from flowise_conformance.errors import HarnessError
from flowise_conformance.fixtures import by_id, creating
from flowise_conformance.resources import owned


class FakeApi:
    """Answers every POST with one canned response and remembers the paths and bodies."""

    def __init__(self, status: int, body: object) -> None:
        self.answer = (status, body)
        self.posts: list[tuple[str, object]] = []

    def post(self, path: str, json: object) -> httpx.Response:
        self.posts.append((path, json))
        return httpx.Response(self.answer[0], json=self.answer[1])


class FakeTracker:
    """Records what would be journaled and deleted."""

    def __init__(self) -> None:
        self.tracked: list[tuple[str, str | None]] = []
        self.deleted: list[tuple[str, str]] = []

    def track_response(self, kind: str, response: httpx.Response, name: str | None = None) -> object:
        self.tracked.append((kind, name))
        return response.json()

    def delete(self, kind: str, obj_id: str) -> list[str]:
        self.deleted.append((kind, obj_id))
        return []


@pytest.mark.parametrize("kind", sorted(owned()))
def test_a_create_posts_to_the_registry_collection_journals_and_deletes_afterwards(kind):
    """Each owned kind is created in its registry collection, journaled with its name at once, and deleted
    through the tracker (which proves it the run's) once the test is over."""
    api, tracker = FakeApi(200, {"id": "obj-1"}), FakeTracker()
    factory = creating(api, tracker, kind, lambda **fields: {"name": "fc-x", **fields})
    make = next(factory)
    assert make(extra=1) == {"id": "obj-1"}
    received = (api.posts, tracker.tracked, tracker.deleted)
    expected = ([(owned()[kind].collection, {"name": "fc-x", "extra": 1})], [(kind, "fc-x")], [])
    assert received == expected, f"Expected (posts, journaled, deleted) {expected}\nReceived {received}"
    with pytest.raises(StopIteration):
        next(factory)
    assert tracker.deleted == [(kind, "obj-1")], f"Expected [({kind!r}, 'obj-1')] deleted\nReceived {tracker.deleted}"


def test_a_refused_create_is_a_harness_error_and_nothing_is_deleted():
    """A create that does not answer 200 with an id stops the test as a harness problem, not a finding."""
    api, tracker = FakeApi(500, {"message": "boom"}), FakeTracker()
    factory = creating(api, tracker, "tool", lambda **fields: {"name": "fc-x"})
    make = next(factory)
    with pytest.raises(HarnessError, match=r"could not create a tool: POST /api/v1/tools answered 500"):
        make()
    with pytest.raises(StopIteration):
        next(factory)
    assert tracker.deleted == [], f"Expected nothing deleted\nReceived {tracker.deleted}"


def test_a_create_through_its_own_post_is_not_journaled_twice():
    """A fixture with its own guarded POST (assistants: CUSTOM only) journals there; the factory must not."""
    api, tracker = FakeApi(200, {"id": "a-1"}), FakeTracker()
    sent: list[object] = []

    def post(body: dict) -> httpx.Response:
        sent.append(body)
        return httpx.Response(200, json={"id": "a-1"})

    make = next(creating(api, tracker, "assistant", lambda **fields: {"type": "CUSTOM"}, post=post))
    assert make() == {"id": "a-1"}
    assert (sent, api.posts, tracker.tracked) == ([{"type": "CUSTOM"}], [], []), (
        f"Expected one POST through the fixture's own post, none journaled here\n"
        f"Received sent={sent} api.posts={api.posts} tracked={tracker.tracked}")


def test_by_id_keeps_only_objects_with_a_string_id():
    """The list readers key objects by id; an entry without one cannot be looked up and is left out."""
    received = by_id([{"id": "a"}, {"id": 3}, {"name": "x"}])
    assert received == {"a": {"id": "a"}}, f"Expected {{'a': {{'id': 'a'}}}}\nReceived {received}"
