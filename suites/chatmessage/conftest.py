"""Fixtures of the chatmessage suite: a chatflow owned by the test, with chats made by predictions."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from flowise_conformance.chats import ask, rate, read_objects
from flowise_conformance.checks import expect_equal
from flowise_conformance.client import FlowiseClient

# Pause between two chats, so that their messages have distinct createdDate instants.
GAP_SECONDS = 0.1


@dataclass
class Chat:
    """One conversation: the prediction answers and (after ``Conversations.load``) its stored messages."""

    chat_id: str
    session_id: str
    answers: list[dict[str, Any]]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def message_ids(self) -> set[str]:
        return {m["id"] for m in self.messages}

    @property
    def api_message_id(self) -> str:
        return self.answers[-1]["chatMessageId"]

    def first_instant(self) -> str:
        return min(self.messages, key=lambda m: m["createdDate"])["createdDate"]

    def last_instant(self) -> str:
        return max(self.messages, key=lambda m: m["createdDate"])["createdDate"]


def list_messages(api: FlowiseClient, flow_id: str, **params: Any) -> list[dict[str, Any]]:
    """GET /chatmessage/{flow_id} with the query ``params``; 200 and a JSON array of objects are required."""
    return read_objects(api, "chatmessage", flow_id, "messages", **params)


class Conversations:
    """Chats of one chatflow, made one after another with a pause between them."""

    def __init__(self, api: FlowiseClient, flow: dict[str, Any]) -> None:
        self.api = api
        self.flow = flow
        self.chats: list[Chat] = []

    @property
    def flow_id(self) -> str:
        return self.flow["id"]

    def start(self, questions: int = 1) -> Chat:
        if self.chats:
            time.sleep(GAP_SECONDS)
        n = len(self.chats)
        first = ask(self.api, self.flow_id, f"chat {n} question 0")
        answers = [first]
        for q in range(1, questions):
            answers.append(ask(self.api, self.flow_id, f"chat {n} question {q}", chat_id=first["chatId"]))
        chat = Chat(first["chatId"], first.get("sessionId") or first["chatId"], answers)
        self.chats.append(chat)
        return chat

    def load(self) -> list[dict[str, Any]]:
        """Lists every message of the chatflow and hands each chat its own."""
        everything = list_messages(self.api, self.flow_id)
        for chat in self.chats:
            chat.messages = [m for m in everything if m.get("chatId") == chat.chat_id]
            expect_equal(
                len(chat.messages),
                2 * len(chat.answers),
                f"setup: chat {chat.chat_id} has {len(chat.messages)} stored messages after "
                f"{len(chat.answers)} predictions (expected two per prediction)",
            )
        return everything


@pytest.fixture
def conversations(api: FlowiseClient, chatflow: dict[str, Any]) -> Callable[[int], Conversations]:
    """Makes ``n`` chats (one prediction each) in this test's chatflow and loads their messages."""

    def make(n: int) -> Conversations:
        convo = Conversations(api, chatflow)
        for _ in range(n):
            convo.start()
        convo.load()
        return convo

    return make


@pytest.fixture
def list_chat_messages(api: FlowiseClient) -> Callable[..., list[dict[str, Any]]]:
    """``list_chat_messages(flow_id, **query)``: GET /chatmessage/{flow_id}; 200 and a JSON array required."""
    return lambda flow_id, **params: list_messages(api, flow_id, **params)


@pytest.fixture
def rate_message(api: FlowiseClient) -> Callable[..., dict[str, Any]]:
    """``rate_message(flow_id, message_id, rating, **fields)``: POST /feedback/{flow_id}; 200 required."""
    return lambda flow_id, message_id, rating, **fields: rate(api, flow_id, message_id, rating, **fields)
