"""Fixtures of the feedback suite: chatflows owned by the run, messages made by predictions, ratings on them.

Feedback has no DELETE route: a feedback row goes with its message, so every rating here is
made on a message of a chatflow the run created, and deleting that chatflow cleans up.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from flowise_conformance.checks import expect, expect_json, expect_status
from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import HarnessError
from flowise_conformance.flows import direct_reply_agentflow
from flowise_conformance.run import RunScope
from flowise_conformance.tracker import Tracker
from flowise_conformance.ids import item_path

# Flowise stores a feedback's createdDate with one-second precision (SQLite datetime('now')), so
# ratings that must be told apart by date are made more than a second apart.
FEEDBACK_GAP_SECONDS = 1.1


def ask(api: FlowiseClient, flow_id: str, question: str, chat_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if chat_id:
        body["chatId"] = chat_id
    response = api.post(item_path("prediction", flow_id), json=body)
    expect_status(response, 200, why="setup: a prediction must succeed so that there is a message to rate")
    answer = expect_json(response)
    expect(isinstance(answer, dict) and answer.get("chatId") and answer.get("chatMessageId"),
           f"setup: answer {answer!r}",
           expected='isinstance(answer, dict) and answer.get("chatId") and answer.get("chatMessageId")',
           received=answer, response=response)
    return {**answer, "chatflowid": flow_id}


def rate(api: FlowiseClient, flow_id: str, message_id: str, rating: str = "THUMBS_UP", **fields: Any) -> dict[str, Any]:
    response = api.post(item_path("feedback", flow_id), json={"messageId": message_id, "rating": rating, **fields})
    expect_status(response, 200, why="setup: rating a stored message must succeed")
    feedback = expect_json(response)
    expect(isinstance(feedback, dict) and feedback.get("id"), f"setup: feedback answer {feedback!r}",
           expected='isinstance(feedback, dict) and feedback.get("id")', received=feedback, response=response)
    return feedback


@pytest.fixture
def answer(api: FlowiseClient, chatflow: dict[str, Any]) -> dict[str, Any]:
    """One prediction in this test's chatflow: its answer (chatId, chatMessageId, ...) plus chatflowid."""
    return ask(api, chatflow["id"], "rate me")


@pytest.fixture
def rate_message(api: FlowiseClient) -> Callable[..., dict[str, Any]]:
    """``rate_message(flow_id, message_id, rating="THUMBS_UP", **fields)``: POST /feedback/{flow_id}; 200 required."""
    return lambda flow_id, message_id, rating="THUMBS_UP", **fields: rate(api, flow_id, message_id, rating, **fields)


@pytest.fixture
def feedback(api: FlowiseClient, answer: dict[str, Any]) -> dict[str, Any]:
    """A THUMBS_UP with content on the apiMessage of ``answer``."""
    return rate(api, answer["chatflowid"], answer["chatMessageId"], "THUMBS_UP", content="fc first opinion")


@dataclass
class RatedFlow:
    """A chatflow with chat A (two answers) and chat B (one answer), rated in this order, > 1 s apart:
    first (A, THUMBS_UP), second (B, THUMBS_DOWN), third (A, THUMBS_UP)."""

    flow_id: str
    chat_a: str
    chat_b: str
    first: dict[str, Any]
    second: dict[str, Any]
    third: dict[str, Any]

    @property
    def all(self) -> list[dict[str, Any]]:
        return [self.first, self.second, self.third]


@pytest.fixture(scope="module")
def rated_flow(api: FlowiseClient, tracker: Tracker, run_context: RunScope):  # noqa: ANN201
    """Read-only scenario shared by the listing tests of one module (they never change it)."""
    name = run_context.name("feedback-list")
    response = api.post("chatflows", json={"name": name, "flowData": direct_reply_agentflow(), "type": "AGENTFLOW"})
    flow = tracker.track_response("chatflow", response, name)
    if response.status_code != 200 or not isinstance(flow, dict) or "id" not in flow:
        raise HarnessError(f"could not create a chatflow: POST /api/v1/chatflows answered {response.status_code}")
    try:
        flow_id = flow["id"]
        a1 = ask(api, flow_id, "a one")
        a2 = ask(api, flow_id, "a two", chat_id=a1["chatId"])
        b1 = ask(api, flow_id, "b one")
        first = rate(api, flow_id, a1["chatMessageId"], "THUMBS_UP", content="fc first")
        time.sleep(FEEDBACK_GAP_SECONDS)
        second = rate(api, flow_id, b1["chatMessageId"], "THUMBS_DOWN", content="fc second")
        time.sleep(FEEDBACK_GAP_SECONDS)
        third = rate(api, flow_id, a2["chatMessageId"], "THUMBS_UP", content="fc third")
        yield RatedFlow(flow_id, a1["chatId"], b1["chatId"], first, second, third)
    finally:
        tracker.delete("chatflow", flow["id"])
