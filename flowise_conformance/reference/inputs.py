"""Input checks shared by the reference resources: request-body fields, uuids, page/limit.

Each check raises ``ApiError(400, ...)``, so a bad input always leaves as the one error shape.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Iterable

from starlette.requests import Request

from flowise_conformance.reference.responses import ApiError, json_body

MISSING = object()


async def required_body(request: Request) -> dict[str, Any]:
    """The JSON object body of an operation whose requestBody is required: an empty body is 400."""
    if not (await request.body()).strip():
        raise ApiError(400, "A JSON request body is required")
    return await json_body(request)


def as_int(value: Any) -> int | None:
    """``value`` as an int when JSON Schema calls it an integer (1 and 1.0 alike), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def known_fields(body: dict[str, Any], allowed: Iterable[str], what: str) -> None:
    """Rejects fields the request schema does not list (``additionalProperties: false``)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, f"{what}: unknown field(s) {', '.join(unknown)}")


def text(body: dict[str, Any], key: str, what: str, *, required: bool, nullable: bool = False,
         non_empty: bool = False) -> Any:
    """The string field ``key`` (MISSING when absent and optional)."""
    if key not in body:
        if required:
            raise ApiError(400, f"{what}: '{key}' is required")
        return MISSING
    value = body[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{what}: '{key}' must be a string{' or null' if nullable else ''}")
    if non_empty and not value:
        raise ApiError(400, f"{what}: '{key}' must not be empty")
    return value


def one_of(body: dict[str, Any], key: str, choices: tuple[str, ...], what: str, *, required: bool) -> Any:
    value = text(body, key, what, required=required)
    if value is not MISSING and value not in choices:
        raise ApiError(400, f"{what}: '{key}' must be one of {', '.join(choices)}")
    return value


def uuid_text(body: dict[str, Any], key: str, what: str, *, required: bool) -> Any:
    value = text(body, key, what, required=required)
    if value is not MISSING and not is_uuid(value):
        raise ApiError(400, f"{what}: '{key}' must be a uuid")
    return value


def json_object_text(value: str, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ApiError(400, f"{what} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, f"{what} must be a JSON object")
    return parsed


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _positive(request: Request, key: str) -> int | None:
    raw = request.query_params.get(key)
    if raw is None:
        return None
    try:
        number = int(raw)
    except ValueError:
        raise ApiError(400, f"'{key}' must be an integer >= 1") from None
    if number < 1:
        raise ApiError(400, f"'{key}' must be an integer >= 1")
    return number


def listing(request: Request, items: list[dict[str, Any]]) -> Any:
    """A plain array, or ``{data, total}`` when both ``page`` and ``limit`` are given."""
    page = _positive(request, "page")
    limit = _positive(request, "limit")
    if page is None or limit is None:
        return items
    start = (page - 1) * limit
    return {"data": items[start:start + limit], "total": len(items)}


def stored_or_404(request: Request, kind: str, doc_id: str, not_found: str) -> dict[str, Any]:
    """The stored object of ``kind``, or a 404 with ``not_found`` as its message."""
    doc = request.app.state.store.get(kind, doc_id)
    if doc is None:
        raise ApiError(404, not_found)
    return doc


def newest_first(docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lists are ordered by updatedDate, newest first (as Flowise orders them)."""
    return sorted(docs, key=lambda d: d["updatedDate"], reverse=True)


async def read_multipart(request: Request, what: str, text_fields: Iterable[str], purpose: str,
                         **limits: int) -> tuple[dict[str, str], list[tuple[Any, bytes]]]:
    """The text fields and the uploads (part name ``files``: (upload, its bytes)) of a multipart body;
    a malformed body, another field or file part name, or no file at all is a 400."""
    try:
        form = await request.form(**limits)
    except Exception as exc:  # noqa: BLE001 - a malformed multipart body (or too many parts) is bad input
        raise ApiError(400, f"{what}: malformed multipart body: {exc}") from None
    fields: dict[str, str] = {}
    files: list[tuple[Any, bytes]] = []
    try:
        for key, value in form.multi_items():
            if isinstance(value, str):
                if key not in text_fields:
                    raise ApiError(400, f"{what}: unknown form field {key!r}")
                fields[key] = value
            elif key != "files":
                raise ApiError(400, f"{what}: unexpected file field {key!r}: send files in 'files'")
            else:
                files.append((value, await value.read()))
    finally:
        await form.close()
    if not files:
        raise ApiError(400, f"{what}: a multipart {purpose} needs at least one file in 'files'")
    return fields, files
