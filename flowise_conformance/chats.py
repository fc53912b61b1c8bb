"""Setup steps of the chat message and feedback suites: a prediction that stores messages, a rating
on one, and reading a per-chatflow list; each must succeed or the test stops as a setup failure."""
from __future__ import annotations

from typing import Any

from flowise_conformance.checks import expect, expect_json, expect_status
from flowise_conformance.client import FlowiseClient
from flowise_conformance.ids import item_path


def ask(api: FlowiseClient, flow_id: str, question: str, chat_id: str | None = None,
        purpose: str = "so that messages are stored") -> dict[str, Any]:
    """POST /prediction/{flow_id} (in chat ``chat_id``); 200 with chatId and chatMessageId is required."""
    body: dict[str, Any] = {"question": question}
    if chat_id:
        body["chatId"] = chat_id
    response = api.post(item_path("prediction", flow_id), json=body)
    expect_status(response, 200, why=f"setup: a prediction must succeed {purpose}")
    answer = expect_json(response)
    expect(isinstance(answer, dict) and answer.get("chatId") and answer.get("chatMessageId"),
           f"setup: answer {answer!r}",
           expected='isinstance(answer, dict) and answer.get("chatId") and answer.get("chatMessageId")',
           received=answer, response=response)
    return answer


def rate(api: FlowiseClient, flow_id: str, message_id: str, rating: str = "THUMBS_UP", **fields: Any) -> dict[str, Any]:
    """POST /feedback/{flow_id} on a message; 200 with an id is required."""
    response = api.post(item_path("feedback", flow_id), json={"messageId": message_id, "rating": rating, **fields})
    expect_status(response, 200, why="setup: rating a stored message must succeed")
    feedback = expect_json(response)
    expect(isinstance(feedback, dict) and feedback.get("id"), f"setup: feedback answer {feedback!r}",
           expected='isinstance(feedback, dict) and feedback.get("id")', received=feedback, response=response)
    return feedback


def read_objects(api: FlowiseClient, collection: str, flow_id: str, noun: str, **params: Any) -> list[dict[str, Any]]:
    """GET /{collection}/{flow_id} with the query ``params``; 200 and a JSON array of objects are required."""
    response = api.get(item_path(collection, flow_id), params=params)
    expect_status(response, 200, why=f"GET /{collection}/{{id}} with {params or 'no filters'} must answer 200")
    items = expect_json(response)
    expect(isinstance(items, list) and all(isinstance(i, dict) for i in items),
           f"GET /{collection}/{{id}} must answer a JSON array of {noun}, got {str(items)[:300]}",
           expected='isinstance(items, list) and all(isinstance(i, dict) for i in items)', received=items,
           response=response)
    return items
