"""The deterministic echo model: the answer is a pure function of the flow and the question.

A flow whose flowData holds a Direct Reply node (``inputs.directReplyMessage``, as in the
LLM-free agentflow used on real Flowise) answers its template with ``{{ question }}``
filled in; every other flow answers ``Echo: <question>``.
"""
from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*question\s*\}\}")


def _direct_reply_template(flow_data: str) -> str | None:
    try:
        data: Any = json.loads(flow_data)
    except ValueError:
        return None
    for node in data.get("nodes", []) if isinstance(data, dict) else []:
        inputs = (node.get("data") or {}).get("inputs") or {} if isinstance(node, dict) else {}
        template = inputs.get("directReplyMessage") if isinstance(inputs, dict) else None
        if isinstance(template, str):
            return template
    return None


def answer(flow_data: str, question: str) -> str:
    template = _direct_reply_template(flow_data)
    if template is None:
        return f"Echo: {question}"
    return _PLACEHOLDER.sub(lambda _: question, template)


def tokens(text: str) -> list[str]:
    """Word-sized tokens whose concatenation is exactly ``text``."""
    parts = re.findall(r"\s*\S+\s*$|\s*\S+", text)
    return parts if "".join(parts) == text else [text]
