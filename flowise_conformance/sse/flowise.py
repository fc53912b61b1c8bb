"""Flowise's event envelope: every SSE ``data`` is JSON ``{"event": name, "data": payload}``."""

from __future__ import annotations

import json
from typing import NamedTuple

from flowise_conformance.sse.parser import Event


class FlowiseEvent(NamedTuple):
    """A decoded Flowise event: the name and payload from the JSON in ``data``."""

    name: str
    data: object


def decode_flowise(event: Event) -> FlowiseEvent:
    """Decode Flowise's envelope: ``data`` must be exactly ``{"event": name, "data": payload}``.

    Flowise puts the real event name inside the JSON (the SSE type is always
    ``message``). Raises ``ValueError`` saying what is wrong: not JSON (NaN and
    duplicate keys included), not an object, a missing or extra key, or a name that
    is not a non-empty string.
    """
    try:
        value = json.loads(
            event.data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"Flowise event data is not JSON ({exc.msg} at char {exc.pos}): {_clip(event.data)}"
        ) from None
    if not isinstance(value, dict):
        raise ValueError(
            'Flowise event data must be a JSON object {"event": name, "data": payload},'
            f" got {_json_type(value)}: {_clip(event.data)}"
        )
    missing = sorted({"event", "data"} - value.keys())
    extra = sorted(value.keys() - {"event", "data"})
    if missing or extra:
        what = "; ".join(
            part
            for part in (
                f"missing key(s) {', '.join(map(repr, missing))}" if missing else "",
                f"unexpected key(s) {', '.join(map(repr, extra))}" if extra else "",
            )
            if part
        )
        raise ValueError(
            f'Flowise event data must have exactly the keys "event" and "data": {what}:'
            f" {_clip(event.data)}"
        )
    name = value["event"]
    if not isinstance(name, str) or not name:
        raise ValueError(
            f'Flowise "event" must be a non-empty string, got {_json_type(name)} {name!r}'
        )
    return FlowiseEvent(name, value["data"])


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"Flowise event data is not strict JSON: duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"Flowise event data is not strict JSON: {name} is not a JSON value")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _clip(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
