"""Fixtures of the feedback suite: chatflows owned by the run, messages made by predictions, ratings on them.

Feedback has no DELETE route: a feedback row goes with its message, so every rating here is
made on a message of a chatflow the run created, and deleting that chatflow cleans up.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from flowise_conformance.chats import ask, rate
from flowise_conformance.client import FlowiseClient
from flowise_conformance.fixtures import chatflow_body, creating
from flowise_conformance.run import RunScope
from flowise_conformance.tracker import Tracker

# Flowise stores a feedback's createdDate with one-second precision (SQLite datetime('now')), so
# ratings that must be told apart by date are made more than a second apart.
FEEDBACK_GAP_SECONDS = 1.1


@pytest.fixture
def answer(api: FlowiseClient, chatflow: dict[str, Any]) -> dict[str, Any]:
    """One prediction in this test's chatflow: its answer (chatId, chatMessageId, ...) plus chatflowid."""
    return {**ask(api, chatflow["id"], "rate me", purpose="so that there is a message to rate"),
            "chatflowid": chatflow["id"]}


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
    factory = creating(api, tracker, "chatflow", lambda: chatflow_body(run_context.name("feedback-list")))
    flow = next(factory)()
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
        next(factory, None)  # deletes the chatflow (proven the run's), and its messages and ratings with it
