"""The routes of a resource's collection and item, declared once for every reference module.

    crud_routes("/api/v1/tools", list=..., create=..., get=..., update=..., delete=...)
    -> GET/POST on the collection, GET/PUT/DELETE on ``{collection}/{id}`` (only the handlers given)
"""
from __future__ import annotations

from typing import Any, Callable

from starlette.routing import Route

Handler = Callable[..., Any]


def crud_routes(collection: str, *, list: Handler | None = None, create: Handler | None = None,  # noqa: A002
                get: Handler | None = None, update: Handler | None = None,
                delete: Handler | None = None) -> list[Route]:
    """Starlette routes in the usual order: list, create, then get, update, delete of one item."""
    item = f"{collection}/{{id}}"
    wanted = [(collection, list, "GET"), (collection, create, "POST"), (item, get, "GET"), (item, update, "PUT"),
              (item, delete, "DELETE")]
    return [Route(path, handler, methods=[method]) for path, handler, method in wanted if handler is not None]
