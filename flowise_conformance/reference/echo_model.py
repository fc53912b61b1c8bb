"""The deterministic echo model: the answer is a pure function of the flow and the question.

A flow whose flowData holds a Direct Reply node (``inputs.directReplyMessage``, as in the
LLM-free agentflow used on real Flowise) answers its template with ``{{ question }}``
filled in; every other flow answers ``Echo: <question>``. Text attached to the question
(the content of ``file:full`` uploads, as ``<doc name='..'>..</doc>`` blocks) comes first,
followed by a blank line, as Flowise puts it before the rendered template.
"""
from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*question\s*\}\}")


def _direct_reply_template(flow_data: str) -> str | None:
    try:
        data: Any = json.loads(flow_data)
    except (TypeError, ValueError):
        return None
    for node in data.get("nodes", []) if isinstance(data, dict) else []:
        inputs = (node.get("data") or {}).get("inputs") or {} if isinstance(node, dict) else {}
        template = inputs.get("directReplyMessage") if isinstance(inputs, dict) else None
        if isinstance(template, str):
            return template
    return None


def answer(flow_data: str, question: str, attached: str = "") -> str:
    template = _direct_reply_template(flow_data)
    text = f"Echo: {question}" if template is None else _PLACEHOLDER.sub(lambda _: question, template)
    return f"{attached}\n\n{text}" if attached else text


def tokens(text: str) -> list[str]:
    """Word-sized tokens whose concatenation is exactly ``text``."""
    parts = re.findall(r"\s*\S+\s*$|\s*\S+", text)
    return parts if parts and "".join(parts) == text else [text]
