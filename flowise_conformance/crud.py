"""CRUD shapes over the resource registry: the checks the resource suites share, written once.

Each suite keeps its own test functions (name, docstring, level and markers: the test ids and the
reports do not change); a test whose check is the same for every resource calls one of these with
its kind (``resources.owned()``), which names the collection and the item path. Messages name the
path as the docs do (``POST /tools``, ``GET /variables/{id}``).

    path(kind, obj_id=None)                    the collection, or one item (``unknown_id()`` for none)
    post_tracked(api, tracker, kind, body)     POST to the collection; whatever it creates is journaled
    expect_error(response, *statuses)          a refusal: one of the statuses, with the error shape
    expect_created(response, body, kind)       200, a JSON object with an id and every field sent
    expect_fields(got, obj, fields, response)  the fields as they were created
    expect_updated(response, kind, obj_id, changes)   200, a JSON object: the same id, the new values
    expect_persisted(api, response, kind, obj_id, changes)   the update answered 200 and a GET shows it
    expect_kept(api, response, kind, obj, fields)   the update answered 200 and left ``fields`` as they were
    expect_gone(api, tracker, kind, obj_id)    GET of a deleted item answers 404 (then journaled gone)
    expect_paged(api, kind, schema)            ?page=1&limit=1 answers {data, total} with one object
    expect_delete_result(response, kind)       200 and the documented DeleteResult
    expect_nothing_stored(api, response, kind, field, value)   a refused create left no object behind
"""
from __future__ import annotations

import uuid
from typing import Any

import httpx

from flowise_conformance.checks import (
    expect, expect_equal, expect_error_shape, expect_json, expect_not_in, expect_refused, expect_status, expect_type,
)
from flowise_conformance.checks.schemas import expect_answer
from flowise_conformance.client import API, FlowiseClient
from flowise_conformance.fixtures import read_list
from flowise_conformance.ids import item_path
from flowise_conformance.resources import owned
from flowise_conformance.tracker import Tracker


def path(kind: str, obj_id: Any = None) -> str:
    """The kind's collection path, or the item path of ``obj_id`` (one encoded segment)."""
    collection = owned()[kind].collection
    return collection if obj_id is None else item_path(collection, obj_id)


def post_tracked(api: FlowiseClient, tracker: Tracker, kind: str, body: Any) -> httpx.Response:
    """POST ``body`` to the kind's collection and journal at once what it made (a wrongly accepted bad
    body is still cleaned up), under the body's name when it has one."""
    response = api.post(path(kind), json=body)
    name = body.get("name") if isinstance(body, dict) else None
    tracker.track_response(kind, response, name if isinstance(name, str) and name else None)
    return response


def unknown_id() -> str:
    """An id no server has: a fresh uuid."""
    return str(uuid.uuid4())


def shown(kind: str, item: bool = False) -> str:
    """The path as the docs write it: ``/tools`` or ``/tools/{id}``."""
    resource = owned()[kind]
    return (resource.item if item else resource.collection)[len(API):]


def expect_error(response: httpx.Response, *statuses: int, why: str = "") -> None:
    """The request was refused with one of ``statuses`` (default 400 or 422) and the JSON error shape."""
    expect_status(response, *(statuses or (400, 422)), why=why)
    expect_error_shape(response)


def expect_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The answer is a JSON object (``what``: the request, as "PUT /tools/{id}")."""
    got = expect_json(response)
    expect_type(got, dict, f"{what} must answer a JSON object, got {type(got).__name__}", response=response)
    return got


def expect_created(response: httpx.Response, body: dict[str, Any], kind: str) -> dict[str, Any]:
    """A create answered 200 with the stored object: a new id and every field sent."""
    expect_status(response, 200)
    created = expect_object(response, f"POST {shown(kind)}")
    expect(isinstance(created.get("id"), str) and created["id"], f"no id in {created!r}",
           expected='isinstance(created.get("id"), str) and created["id"]', received=created.get("id"),
           response=response)
    for field, sent in body.items():
        expect_equal(created.get(field), sent, f"{field}: answered {created.get(field)!r}, sent {sent!r}",
                     response=response)
    return created


def expect_read(api: FlowiseClient, kind: str, obj: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """GET of the item answers 200 with ``fields`` as created."""
    response = api.get(path(kind, obj["id"]))
    expect_status(response, 200)
    got = expect_object(response, f"GET {shown(kind, item=True)}")
    expect_fields(got, obj, fields, response)
    return got


def expect_fields(got: dict[str, Any], obj: dict[str, Any], fields: tuple[str, ...],
                  response: httpx.Response | None = None, after: str = "") -> None:
    """Each of ``fields`` of ``got`` is as in ``obj`` (``after``: what happened since, for the message)."""
    for field in fields:
        told = f" {after}, was {obj[field]!r}" if after else f", created {obj[field]!r}"
        expect_equal(got.get(field), obj[field], f"{field}: got {got.get(field)!r}{told}", response=response)


def expect_updated(response: httpx.Response, kind: str, obj_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """An update answered 200 with the object as it now is: the same id and the values sent."""
    expect_status(response, 200)
    got = expect_object(response, f"PUT {shown(kind, item=True)}")
    expect_equal(got.get("id"), obj_id, f"PUT answered id {got.get('id')!r}, expected {obj_id!r}", response=response)
    for field, value in changes.items():
        expect_equal(got.get(field), value, f"PUT answered {field} {got.get(field)!r}, expected {value!r}",
                     response=response)
    return got


def expect_persisted(api: FlowiseClient, response: httpx.Response, kind: str, obj_id: str,
                     changes: dict[str, Any]) -> dict[str, Any]:
    """An update (its ``response``) answered 200, and a later GET of the item shows each changed value."""
    expect_status(response, 200)
    again = api.get(path(kind, obj_id))
    got = expect_json(again, 200)
    for field, value in changes.items():
        expect_equal(got.get(field), value, f"after PUT the {field} is {got.get(field)!r}, expected {value!r}",
                     response=again)
    return got


def expect_kept(api: FlowiseClient, response: httpx.Response, kind: str, obj: dict[str, Any],
                fields: tuple[str, ...]) -> None:
    """An update that did not send ``fields`` answered 200, and a later GET shows them as they were."""
    expect_status(response, 200)
    again = api.get(path(kind, obj["id"]))
    expect_fields(expect_json(again, 200), obj, fields, again, after="after a PUT that did not send it")


def expect_gone(api: FlowiseClient, tracker: Tracker, kind: str, obj_id: str) -> None:
    """After a DELETE the item is no longer served: GET answers 404 (and the tracker stops owning it)."""
    gone = api.get(path(kind, obj_id))
    if gone.status_code == 404:
        tracker.gone(kind, obj_id)
    expect_status(gone, 404, why=f"a deleted {kind.replace('_', ' ')} must no longer be served")


def expect_paged(api: FlowiseClient, kind: str, schema: str) -> dict[str, Any]:
    """GET ?page=1&limit=1 answers the page schema {data, total}: exactly one object, a total counting ours."""
    response = api.get(path(kind), params={"page": 1, "limit": 1})
    page = expect_answer(response, schema, f"GET {shown(kind)}?page=1&limit=1 answer")
    noun = kind.replace("_", " ")
    expect(page["total"] >= 1, f"total {page['total']} although a {noun} exists", expected='page["total"] >= 1',
           received=page["total"], response=response)
    expect_equal(len(page["data"]), 1,
                 f"limit=1 with total {page['total']} must give exactly one {noun}, got {len(page['data'])}",
                 response=response)
    return page


def expect_delete_result(response: httpx.Response, kind: str) -> None:
    """A DELETE answered 200 with the documented DeleteResult object ({affected, raw?})."""
    expect_answer(response, "DeleteResult", f"DELETE {shown(kind, item=True)} answer")


def expect_nothing_stored(api: FlowiseClient, response: httpx.Response, kind: str, field: str, value: Any) -> None:
    """A create was refused (whatever the status) and the collection lists no object whose ``field`` is
    ``value`` (the bad body's name, description or details)."""
    expect_refused(response, "The bad request was accepted (this test checks only that nothing changed)")
    expect_not_in(value, {o.get(field) for o in read_list(api, kind)},
                  f"a rejected create stored a {kind.replace('_', ' ')}")
