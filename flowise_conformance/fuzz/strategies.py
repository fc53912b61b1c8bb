"""Generators for the spec's JSON-in-a-string formats.

schemathesis 4.x does not generate JSON text from ``contentMediaType`` in OpenAPI 3.1, it draws
arbitrary strings, which a conforming server rejects; so valid values of these strings would
never reach the server's real logic. The spec marks each such string with one of our formats
and ``register()`` gives schemathesis a strategy for each (``schemathesis.openapi.format``).
The strategies only produce what the spec calls valid; negative data comes from schemathesis
breaking the surrounding schema (wrong types, missing fields), as for every other field.

    fc-flow-data          a flow graph {"nodes": [...], "edges": [...]}: empty, or the
                          LLM-free Start -> Direct Reply agentflow with a generated message
    fc-assistant-details  an object with a non-empty "name" (and maybe description, instruction)
    fc-tool-schema        an array of tool inputs {property, type, description, required}
    fc-json-text          any JSON value, usually an object
"""
from __future__ import annotations

import json

from hypothesis import strategies as st

from flowise_conformance.flows import direct_reply_agentflow

FORMATS = ("fc-flow-data", "fc-assistant-details", "fc-tool-schema", "fc-json-text")

_short_text = st.text(max_size=24)
_json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**31), max_value=2**31) | _short_text
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_short_text, inner, max_size=3),
    max_leaves=6,
)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def flow_data() -> st.SearchStrategy[str]:
    empty = st.sampled_from(['{"nodes":[],"edges":[]}', '{"nodes": [], "edges": [], "viewport": {"x": 0, "y": 0, "zoom": 1}}'])
    reply = _short_text.map(lambda message: direct_reply_agentflow(f"{message} {{{{ question }}}}"))
    return empty | reply


def assistant_details() -> st.SearchStrategy[str]:
    return st.fixed_dictionaries(
        {"name": st.text(min_size=1, max_size=24)},
        optional={"description": _short_text, "instruction": _short_text},
    ).map(_dumps)


def tool_schema() -> st.SearchStrategy[str]:
    prop = st.fixed_dictionaries({
        "property": st.from_regex(r"[a-z][a-zA-Z0-9_]{0,11}", fullmatch=True),
        "type": st.sampled_from(["string", "number", "boolean", "date"]),
        "description": _short_text,
        "required": st.booleans(),
    })
    return st.lists(prop, max_size=3).map(_dumps)


def json_text() -> st.SearchStrategy[str]:
    objects = st.dictionaries(_short_text, _json_values, max_size=4)
    return (objects | _json_values).map(_dumps)


_registered = False


def register() -> None:
    """Give schemathesis the strategies (once per process; schemathesis formats are global)."""
    global _registered
    if _registered:
        return
    import schemathesis

    schemathesis.openapi.format("fc-flow-data", flow_data())
    schemathesis.openapi.format("fc-assistant-details", assistant_details())
    schemathesis.openapi.format("fc-tool-schema", tool_schema())
    schemathesis.openapi.format("fc-json-text", json_text())
    _registered = True
