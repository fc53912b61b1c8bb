"""flowData of the two LLM-free fixture flows the launcher creates on a fresh Flowise 3.x.

* :func:`echo_agentflow` -- an AGENTFLOW (v2): Start -> Direct Reply ``"Echo: {{ question }}"``.
  Needs no model and no credential; the answer to ``Q`` is ``"Echo: Q"``.
  Flowise only substitutes ``{{ question }}`` when the Direct Reply node declares its
  ``directReplyMessage`` input in ``inputParams`` with ``acceptVariable: true``; without that
  entry the template comes back literally.
* :func:`fake_llm_chatflow` -- a classic CHATFLOW: ``openAI`` LLM node (legacy completions API,
  base path pointed at our fake OpenAI server) + PromptTemplate ``"{question}"`` -> LLMChain.
  The answer to ``Q`` is ``"Fake reply to: Q"``, streamed word by word.
  The completions node is used on purpose: Flowise's ChatOpenAI node estimates token usage with
  js-tiktoken, which downloads an encoding file from the internet (minutes of retries offline).
  The ``openAI`` node's base path is not run through Flowise's SSRF deny list, so a loopback
  URL is accepted.

Both functions return plain dicts; Flowise wants them JSON-encoded as the ``flowData`` string
of ``POST /api/v1/chatflows`` (see :func:`chatflow_body`).
"""
from __future__ import annotations

import json

ECHO_MESSAGE = "Echo: {{ question }}"
FAKE_MODEL = "fake-gpt"

OPENAI_LLM_CLASSES = ("OpenAI", "BaseLLM", "BaseLanguageModel", "Runnable")
PROMPT_CLASSES = ("PromptTemplate", "BaseStringPromptTemplate", "BasePromptTemplate", "Runnable")
LLM_CHAIN_CLASSES = ("LLMChain", "BaseChain", "Runnable")

_VIEWPORT = {"x": 0, "y": 0, "zoom": 1}


# --------------------------------------------------------------------------------------------
# small builders for the React-Flow style node/edge objects Flowise stores
# --------------------------------------------------------------------------------------------

def _param(node_id: str, name: str, label: str, ptype: str, **extra) -> dict:
    """An ``inputParams`` / ``inputAnchors`` entry; its id follows Flowise's naming scheme."""
    return {"label": label, "name": name, "type": ptype, "id": f"{node_id}-input-{name}-{ptype}", **extra}


def _output_handle(node_id: str, name: str, classes) -> str:
    return f"{node_id}-output-{name}-{'|'.join(classes)}"


def _output_anchor(node_id: str, name: str, label: str, classes) -> dict:
    return {"id": _output_handle(node_id, name, classes), "name": name, "label": label,
            "type": " | ".join(classes)}


def _custom_node(node_id: str, *, x: int, y: int, **data) -> dict:
    return {"id": node_id, "type": "customNode", "position": {"x": x, "y": y},
            "positionAbsolute": {"x": x, "y": y}, "width": 300, "height": 500,
            "data": {"id": node_id, **data}}


def _agent_node(node_id: str, *, x: int, name: str, label: str, version: float, node_type: str, description: str,
                params: list, inputs: dict, anchors: list) -> dict:
    """A node of an Agentflow v2 (category Agent Flows), on the row y = 0."""
    return {"id": node_id, "type": "agentFlow", "position": {"x": x, "y": 0},
            "data": {"id": node_id, "name": name, "label": label, "version": version, "type": node_type,
                     "category": "Agent Flows", "baseClasses": [node_type], "description": description,
                     "inputParams": params, "inputAnchors": [], "inputs": inputs, "outputAnchors": anchors,
                     "outputs": {}}}


def _edge(source: str, source_handle: str, target: str, target_handle: str, etype: str) -> dict:
    return {"id": f"{source}-{source_handle}-{target}-{target_handle}", "type": etype,
            "source": source, "sourceHandle": source_handle,
            "target": target, "targetHandle": target_handle}


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------

def echo_agentflow(message: str = ECHO_MESSAGE) -> dict:
    """Agentflow v2 Start -> Direct Reply. ``message`` may use ``{{ question }}``."""
    start_id, reply_id = "startAgentflow_0", "directReplyAgentflow_0"
    start_handle = f"{start_id}-output-startAgentflow"
    start = _agent_node(
        start_id, x=0, name="startAgentflow", label="Start", version=1.4, node_type="Start",
        description="Starting point of the agentflow", params=[],
        inputs={"startInputType": "chatInput", "formTitle": "", "formDescription": "", "formInputTypes": "",
                "startState": ""},
        anchors=[{"id": start_handle, "name": "startAgentflow", "label": "Start"}])
    reply = _agent_node(
        reply_id, x=320, name="directReplyAgentflow", label="Direct Reply", version=1, node_type="DirectReply",
        description="Directly reply to the user with a message",
        # Required: without acceptVariable the "{{ question }}" is not substituted.
        params=[_param(reply_id, "directReplyMessage", "Message", "string", rows=4, acceptVariable=True)],
        inputs={"directReplyMessage": message}, anchors=[])
    return {"nodes": [start, reply],
            "edges": [_edge(start_id, start_handle, reply_id, reply_id, "agentFlow")],
            "viewport": dict(_VIEWPORT)}


def fake_llm_chatflow(fake_base_url: str, credential_id: str, *, streaming: bool = True) -> dict:
    """Classic chatflow: openAI LLM (base path ``fake_base_url``, e.g. ``http://127.0.0.1:P/v1``)
    + PromptTemplate ``{question}`` -> LLMChain.

    ``credential_id`` is the id of an ``openAIApi`` credential (any key works with the fake).
    ``streaming=False`` sets the LLM node's ``streaming`` input to false, which makes Flowise
    report the flow as not streamable.
    """
    llm, prompt, chain = "openAI_0", "promptTemplate_0", "llmChain_0"

    llm_inputs = {"cache": "", "modelName": FAKE_MODEL, "temperature": 0, "maxTokens": "",
                  "topP": "", "bestOf": "", "frequencyPenalty": "", "presencePenalty": "",
                  "batchSize": "", "timeout": "", "basepath": fake_base_url, "baseOptions": ""}
    if not streaming:
        llm_inputs["streaming"] = False
    llm_node = _custom_node(
        llm, x=0, y=0,
        name="openAI", label="OpenAI", version=4, type="OpenAI", category="LLMs",
        baseClasses=list(OPENAI_LLM_CLASSES),
        description="OpenAI completions model (pointed at a local fake)",
        credential=credential_id,
        inputParams=[
            _param(llm, "credential", "Connect Credential", "credential", credentialNames=["openAIApi"]),
            _param(llm, "modelName", "Model Name", "string"),
            _param(llm, "temperature", "Temperature", "number", optional=True),
            _param(llm, "basepath", "BasePath", "string", optional=True, additionalParams=True),
        ],
        inputAnchors=[_param(llm, "cache", "Cache", "BaseCache", optional=True)],
        inputs=llm_inputs,
        outputAnchors=[_output_anchor(llm, "openAI", "OpenAI", OPENAI_LLM_CLASSES)],
        outputs={},
    )

    prompt_node = _custom_node(
        prompt, x=0, y=560,
        name="promptTemplate", label="Prompt Template", version=1, type="PromptTemplate",
        category="Prompts", baseClasses=list(PROMPT_CLASSES),
        description="Schema to represent a basic prompt for an LLM",
        inputParams=[
            _param(prompt, "template", "Template", "string", rows=4),
            _param(prompt, "promptValues", "Format Prompt Values", "json",
                   optional=True, acceptVariable=True, list=True),
        ],
        inputAnchors=[],
        inputs={"template": "{question}", "promptValues": ""},
        outputAnchors=[_output_anchor(prompt, "promptTemplate", "PromptTemplate", PROMPT_CLASSES)],
        outputs={},
    )

    chain_output = _output_anchor(chain, "llmChain", "LLM Chain", LLM_CHAIN_CLASSES)
    chain_node = _custom_node(
        chain, x=420, y=280,
        name="llmChain", label="LLM Chain", version=3, type="LLMChain", category="Chains",
        baseClasses=list(LLM_CHAIN_CLASSES),
        description="Chain to run queries against LLMs",
        inputParams=[_param(chain, "chainName", "Chain Name", "string", optional=True)],
        inputAnchors=[
            _param(chain, "model", "Language Model", "BaseLanguageModel"),
            _param(chain, "prompt", "Prompt", "BasePromptTemplate"),
            _param(chain, "outputParser", "Output Parser", "BaseLLMOutputParser", optional=True),
            _param(chain, "inputModeration", "Input Moderation", "Moderation", optional=True, list=True),
        ],
        inputs={"model": f"{{{{{llm}.data.instance}}}}", "prompt": f"{{{{{prompt}.data.instance}}}}",
                "outputParser": "", "chainName": "", "inputModeration": ""},
        outputAnchors=[{
            "name": "output", "label": "Output", "type": "options", "default": "llmChain",
            "options": [chain_output,
                        {"id": f"{chain}-output-outputPrediction-string|json", "name": "outputPrediction",
                         "label": "Output Prediction", "type": "string | json"}],
        }],
        outputs={"output": "llmChain"},
    )

    edges = [
        _edge(llm, _output_handle(llm, "openAI", OPENAI_LLM_CLASSES),
              chain, f"{chain}-input-model-BaseLanguageModel", "buttonedge"),
        _edge(prompt, _output_handle(prompt, "promptTemplate", PROMPT_CLASSES),
              chain, f"{chain}-input-prompt-BasePromptTemplate", "buttonedge"),
    ]
    return {"nodes": [llm_node, prompt_node, chain_node], "edges": edges, "viewport": dict(_VIEWPORT)}


def chatflow_body(name: str, flow: dict, flow_type: str) -> dict:
    """Body for ``POST /api/v1/chatflows`` (``flow_type`` is ``CHATFLOW`` or ``AGENTFLOW``)."""
    return {"name": name, "type": flow_type, "deployed": False, "isPublic": False,
            "flowData": json.dumps(flow, separators=(",", ":"))}
