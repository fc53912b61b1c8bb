"""Generators of the spec's JSON-in-a-string formats produce what the spec calls valid."""
from __future__ import annotations

import json
import re

import jsonschema
from hypothesis import HealthCheck, given, settings

from flowise_conformance.fuzz import strategies
from flowise_conformance.spec import component_schema

FEW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def test_every_fc_format_of_the_spec_has_a_strategy():
    """A format the spec uses without a generator would be fuzzed with arbitrary (invalid) strings."""
    used = set(re.findall(r"format: (fc-[a-z-]+)", _spec_path().read_text(encoding="utf-8")))
    assert used == set(strategies.FORMATS)


def _spec_path():
    from flowise_conformance.paths import spec_file

    return spec_file()


@FEW
@given(strategies.flow_data())
def test_flow_data_is_a_graph_with_node_and_edge_arrays(text):
    """fc-flow-data: JSON text of {"nodes": [...], "edges": [...]} (the spec's contentSchema)."""
    jsonschema.validate(json.loads(text), component_schema("FlowData")["contentSchema"])


@FEW
@given(strategies.assistant_details())
def test_assistant_details_is_an_object_with_a_name(text):
    """fc-assistant-details: JSON text of an object with a non-empty name."""
    jsonschema.validate(json.loads(text), component_schema("AssistantDetails")["contentSchema"])


@FEW
@given(strategies.tool_schema())
def test_tool_schema_is_an_array_of_inputs(text):
    """fc-tool-schema: JSON text of [{property, type, description, required}]."""
    value = json.loads(text)
    assert isinstance(value, list)
    for item in value:
        assert set(item) == {"property", "type", "description", "required"}
        assert isinstance(item["required"], bool) and item["property"]


@FEW
@given(strategies.json_text())
def test_json_text_is_json(text):
    """fc-json-text: any JSON text."""
    json.loads(text)


def test_register_is_idempotent():
    """Registering twice (two fuzz modules in one process) is harmless."""
    strategies.register()
    strategies.register()
