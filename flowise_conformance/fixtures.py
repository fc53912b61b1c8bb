"""The suites' create and list fixtures over the resource registry, written once.

Each suite's conftest keeps its own fixture names and docstrings (``create_tool``, ``tool``,
``listed_variables``, ...) and delegates here: the resource (``resources.owned()[kind]``) names the
collection to POST to and the kind the tracker journals, so what a create makes is journaled at
once, deleted after the test through ``Tracker.delete`` (proven the run's first), and the sweep
still finds anything left.

    creating(api, tracker, kind, body_of, post=None)   generator for a ``create_<x>`` fixture
    chatflow_body(name, **fields)                        an LLM-free answering agentflow's ChatflowCreate body
    read_list(api, kind)                                 GET of the collection: 200 and a JSON array
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import httpx

from flowise_conformance.checks import expect_json, expect_status, expect_type
from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import HarnessError
from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.resources import owned
from flowise_conformance.tracker import Tracker


def creating(api: FlowiseClient, tracker: Tracker, kind: str, body_of: Callable[..., dict[str, Any]],
             post: Callable[[dict[str, Any]], httpx.Response] | None = None) -> Iterator[Callable[..., dict[str, Any]]]:
    """Yields ``make(**fields)``: POST ``body_of(**fields)`` to the kind's collection (or through ``post``,
    which journals itself), return the created object; after the test, delete each one made."""
    collection = owned()[kind].collection
    made: list[str] = []

    def make(**fields: Any) -> dict[str, Any]:
        body = body_of(**fields)
        if post is None:
            response = api.post(collection, json=body)
            created = tracker.track_response(kind, response, body.get("name"))
        else:
            response = post(body)
            created = response.json() if response.status_code == 200 else None
        if response.status_code != 200 or not isinstance(created, dict) or "id" not in created:
            raise HarnessError(f"could not create a {kind.replace('_', ' ')}: POST {collection} answered "
                               f"{response.status_code}")
        made.append(created["id"])
        return created

    yield make
    for obj_id in made:
        tracker.delete(kind, obj_id)


def chatflow_body(name: str, **fields: Any) -> dict[str, Any]:
    """A ChatflowCreate body of an agentflow that answers without an LLM (fields override)."""
    return {"name": name, "flowData": direct_reply_agentflow(), "type": "AGENTFLOW", **fields}


def read_list(api: FlowiseClient, kind: str, **params: str) -> list[dict[str, Any]]:
    """GET the kind's collection (with query ``params``); it must answer 200 and a JSON array."""
    collection = owned()[kind].collection
    response = api.get(collection, params=params)
    expect_status(response, 200)
    listed = expect_json(response)
    expect_type(listed, list, f"GET {collection} must answer a JSON array, got {type(listed).__name__}",
                response=response)
    return [o for o in listed if isinstance(o, dict)]


def by_id(listed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{id: object} of the listed objects that carry a string id."""
    return {o["id"]: o for o in listed if isinstance(o.get("id"), str)}
