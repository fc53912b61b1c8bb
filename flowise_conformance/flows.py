"""flowData of the flows the suites create: they answer without any LLM.

The agentflow is Start -> Direct Reply with the message ``Echo: {{ question }}``; real
Flowise renders it (the Direct Reply node must declare ``directReplyMessage`` as a
variable-accepting input), the reference server's echo model reads the same template.
"""
from __future__ import annotations

import json

ECHO_TEMPLATE = "Echo: {{ question }}"


def echo_answer(question: str) -> str:
    return ECHO_TEMPLATE.replace("{{ question }}", question)


def direct_reply_agentflow(message: str = ECHO_TEMPLATE) -> str:
    start = {
        "id": "startAgentflow_0",
        "type": "agentFlow",
        "position": {"x": 0, "y": 0},
        "data": {
            "id": "startAgentflow_0", "label": "Start", "name": "startAgentflow", "type": "Start",
            "category": "Agent Flows", "version": 1.1, "baseClasses": ["Start"],
            "inputs": {"startInputType": "chatInput", "startEphemeralMemory": False, "startPersistState": False},
            "inputParams": [], "inputAnchors": [], "outputAnchors": [{"id": "startAgentflow_0-output-startAgentflow", "label": "Start", "name": "startAgentflow"}],
            "outputs": {},
        },
    }
    reply = {
        "id": "directReplyAgentflow_0",
        "type": "agentFlow",
        "position": {"x": 300, "y": 0},
        "data": {
            "id": "directReplyAgentflow_0", "label": "Direct Reply", "name": "directReplyAgentflow",
            "type": "DirectReply", "category": "Agent Flows", "version": 1, "baseClasses": ["DirectReply"],
            "inputs": {"directReplyMessage": message},
            "inputParams": [{"label": "Message", "name": "directReplyMessage", "type": "string", "rows": 4, "acceptVariable": True, "id": "directReplyAgentflow_0-input-directReplyMessage-string"}],
            "inputAnchors": [], "outputAnchors": [], "outputs": {},
        },
    }
    edge = {
        "id": "startAgentflow_0-startAgentflow_0-output-startAgentflow-directReplyAgentflow_0-directReplyAgentflow_0",
        "source": "startAgentflow_0", "sourceHandle": "startAgentflow_0-output-startAgentflow",
        "target": "directReplyAgentflow_0", "targetHandle": "directReplyAgentflow_0", "type": "agentFlow",
        "data": {"sourceColor": "#7EE787", "targetColor": "#4DDBBB", "isHumanInput": False},
    }
    return json.dumps({"nodes": [start, reply], "edges": [edge], "viewport": {"x": 0, "y": 0, "zoom": 1}})
