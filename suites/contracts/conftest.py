"""Fixtures of the cross-cutting contracts: a chatflow that fails while running, stream reading."""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from flowise_conformance.flows import direct_reply_agentflow

PLANNED_FAILURE = "fc planned failure"


def failing_agentflow(message: str = PLANNED_FAILURE) -> str:
    """flowData of Start -> Custom Function ``throw new Error(message)``: runs, then fails, with no LLM.

    On Flowise 3.1.4 the Custom Function node runs its code in a sandbox; a streamed
    prediction then sends agentflow progress events, an ``error`` event and ``end``.
    """
    graph = json.loads(direct_reply_agentflow())
    start = graph["nodes"][0]
    node_id = "customFunctionAgentflow_0"
    code_param = f"{node_id}-input-customFunctionJavascriptFunction-code"
    node = {
        "id": node_id, "type": "agentFlow", "position": {"x": 300, "y": 0},
        "data": {
            "id": node_id, "label": "Custom Function", "name": "customFunctionAgentflow", "type": "CustomFunction",
            "category": "Agent Flows", "version": 1.1, "baseClasses": ["CustomFunction"],
            "inputs": {"customFunctionInputVariables": "", "customFunctionUpdateState": "",
                       "customFunctionJavascriptFunction": f'throw new Error("{message}");'},
            "inputParams": [{"label": "Javascript Function", "name": "customFunctionJavascriptFunction",
                             "type": "code", "id": code_param}],
            "inputAnchors": [], "outputAnchors": [], "outputs": {},
        },
    }
    edge = {"id": f"{start['id']}-{node_id}", "source": start["id"], "target": node_id,
            "sourceHandle": f"{start['id']}-output-startAgentflow", "targetHandle": node_id, "type": "agentFlow",
            "data": {}}
    return json.dumps({"nodes": [start, node], "edges": [edge], "viewport": {"x": 0, "y": 0, "zoom": 1}})


@pytest.fixture
def failing_chatflow(create_chatflow: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """An agentflow owned by this test that starts running and then fails (no LLM needed)."""
    return create_chatflow(flowData=failing_agentflow())
