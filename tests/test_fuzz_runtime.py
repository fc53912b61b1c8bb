"""The fuzz suite's before/after-call hooks, on stand-in cases (no server)."""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from flowise_conformance.fuzz import pins, runtime
from flowise_conformance.fuzz.guard import Ownership, stand_in

FOREIGN = "0083f9b1-c88d-4e21-bbc5-51b553f7dc11"


class FakeFactory(pins.Factory):
    """Makes objects in memory, owning their ids as the real factory does."""

    def make(self, kind: str) -> dict[str, Any]:
        obj = {"id": str(uuid.uuid4()), "chatflowid": str(uuid.uuid4()), "chatId": str(uuid.uuid4()),
               "chatMessageId": str(uuid.uuid4())}
        self.ownership.own(*obj.values())
        self.made.append((kind, obj["id"]))
        return obj


class FakeTracker:
    def __init__(self) -> None:
        self.tracked: list[tuple[str, str, str | None]] = []
        self.live: dict[tuple[str, str], str] = {}

    def track(self, kind: str, obj_id: str, name: str | None = None) -> None:
        self.tracked.append((kind, obj_id, name))

    def delete(self, kind: str, obj_id: str) -> list[str]:
        return []


def case(label: str, *, path=None, body: Any = None, mode: str = "positive") -> SimpleNamespace:
    method, path_template = label.split(" ", 1)
    meta = SimpleNamespace(generation=SimpleNamespace(mode=SimpleNamespace(value=mode)))
    return SimpleNamespace(operation=SimpleNamespace(label=label), method=method, path_parameters=path,
                           body=body, meta=meta, formatted_path=path_template)


@pytest.fixture
def rt(monkeypatch):
    ownership = Ownership()
    tracker = FakeTracker()
    from flowise_conformance.config import Target

    bound = runtime.Runtime(target=Target(base_url="http://127.0.0.1:1", api_key="k"), api=None,  # type: ignore[arg-type]
                            tracker=tracker, new_name=lambda what: f"fc-t-gw-{what}-1",  # type: ignore[arg-type]
                            name_prefix="fc-t-gw-fz-", ownership=ownership)
    monkeypatch.setattr(pins, "Factory", FakeFactory)
    runtime.bind(bound)
    yield bound
    runtime.bind(None)


def _pinned_value_for(name: str) -> str:
    """A generated value the pin rule pins (deterministic)."""
    return next(v for v in (f"gen-{i}" for i in range(100)) if pins.pinned(v, name))


def _unpinned_value_for(name: str) -> str:
    return next(v for v in (f"gen-{i}" for i in range(100)) if not pins.pinned(v, name))


def test_path_id_is_pinned_to_an_object_the_item_made(rt):
    """A pinned case's path id becomes the id of an object this item made (and owns)."""
    rt.begin("getChatflow")
    c = case("GET /api/v1/chatflows/{id}", path={"id": _pinned_value_for("path.id")})
    runtime.before_call(None, c, {})
    assert rt.ownership.owns(c.path_parameters["id"])
    assert rt.factory.made and rt.factory.made[0][0] == "chatflow"


def test_unpinned_foreign_uuid_becomes_a_stand_in(rt):
    """A case that keeps its generated id never sends a uuid the run does not own."""
    rt.begin("deleteChatflow")
    foreign = next(str(uuid.UUID(int=i)) for i in range(1000) if not pins.pinned(str(uuid.UUID(int=i)), "path.id"))
    c = case("DELETE /api/v1/chatflows/{id}", path={"id": foreign})
    runtime.before_call(None, c, {})
    assert c.path_parameters["id"] == stand_in(foreign)
    assert not rt.factory.made, "an unpinned case makes no object"


def test_delete_gets_a_fresh_object_per_call(rt):
    """Each pinned DELETE deletes an object made for that call."""
    rt.begin("deleteTool")
    value = _pinned_value_for("path.id")
    first, second = case("DELETE /api/v1/tools/{id}", path={"id": value}), case("DELETE /api/v1/tools/{id}", path={"id": value})
    runtime.before_call(None, first, {})
    runtime.before_call(None, second, {})
    assert first.path_parameters["id"] != second.path_parameters["id"]


def test_feedback_pin_makes_path_message_and_body_ids_agree(rt):
    """A pinned rating names the made message, its chatflow in the path, and its chatId."""
    rt.begin("createFeedback")
    value = next(str(uuid.UUID(int=i)) for i in range(1000) if pins.pinned(str(uuid.UUID(int=i)), "body.messageId"))
    c = case("POST /api/v1/feedback/{id}", path={"id": "generated"},
             body={"messageId": value, "rating": "THUMBS_UP", "chatId": "x", "chatflowid": FOREIGN})
    runtime.before_call(None, c, {})
    message = rt.pinner.object_for(pins.OTHER_PINS["createFeedback"]["body.messageId"])
    assert c.body["messageId"] == message["chatMessageId"]
    assert c.path_parameters["id"] == message["chatflowid"] == c.body["chatflowid"]
    assert c.body["chatId"] == message["chatId"]
    # sent again (explicit examples reuse the case object): it stays pinned
    c.path_parameters = {"id": "generated-again"}
    runtime.before_call(None, c, {})
    assert c.path_parameters["id"] == message["chatflowid"]


def test_names_carry_the_run_tag_but_empty_names_stay_invalid(rt):
    """A generated name is prefixed with the run's tag; an empty one (invalid input) is sent as is."""
    rt.begin("createTool")
    named = case("POST /api/v1/tools", body={"name": "x", "description": "d", "color": "c"})
    empty = case("POST /api/v1/tools", body={"name": ""})
    runtime.before_call(None, named, {})
    runtime.before_call(None, empty, {})
    assert named.body["name"] == "fc-t-gw-fz-x"
    assert empty.body["name"] == ""


def test_assistant_details_name_carries_the_run_tag(rt):
    """An assistant's name lives in its details JSON text: it is tagged there."""
    rt.begin("createAssistant")
    c = case("POST /api/v1/assistants", body={"details": json.dumps({"name": "a"}), "credential": FOREIGN, "type": "CUSTOM"})
    runtime.before_call(None, c, {})
    assert json.loads(c.body["details"])["name"] == "fc-t-gw-fz-a"


@pytest.mark.parametrize("body,expected_type", [
    ({"details": "{}", "type": "OPENAI"}, "CUSTOM"),
    ({"details": "{}"}, "CUSTOM"),
    ([1, 2], "CUSTOM"),
    ("text", "CUSTOM"),
])
def test_assistant_creates_are_only_ever_custom(rt, body, expected_type):
    """No create can reach real Flowise's OpenAI path: the type is CUSTOM and the body an object."""
    rt.begin("createAssistant")
    c = case("POST /api/v1/assistants", body=body, mode="negative")
    runtime.before_call(None, c, {})
    assert isinstance(c.body, dict) and c.body["type"] == expected_type


def test_assistant_update_type_is_forced_to_custom_only_when_sent(rt):
    """An update that sends a type sends CUSTOM; one that sends none adds none."""
    rt.begin("updateAssistant")
    with_type = case("PUT /api/v1/assistants/{id}", path={"id": "x"}, body={"type": "AZURE"})
    without = case("PUT /api/v1/assistants/{id}", path={"id": "x"}, body={"iconSrc": None})
    runtime.before_call(None, with_type, {})
    runtime.before_call(None, without, {})
    assert with_type.body["type"] == "CUSTOM" and "type" not in without.body


def test_preview_valid_cases_name_the_servers_components_invalid_ones_are_untouched(rt):
    """Valid previews get the plainText loader and character splitter; invalid ones are sent as generated."""
    rt.begin("previewDocumentChunks")
    valid = case("POST /api/v1/document-store/loader/preview",
                 body={"loaderId": "zz", "loaderConfig": {}, "splitterId": "q", "splitterConfig": {"chunkSize": -5}})
    invalid = case("POST /api/v1/document-store/loader/preview", body={"loaderId": 5, "loaderConfig": {}}, mode="negative")
    runtime.before_call(None, valid, {})
    runtime.before_call(None, invalid, {})
    assert valid.body["loaderId"] == "plainText" and isinstance(valid.body["loaderConfig"]["text"], str)
    assert valid.body["splitterId"] == "characterTextSplitter" and valid.body["splitterConfig"]["chunkSize"] > 0
    assert invalid.body == {"loaderId": 5, "loaderConfig": {}}


def test_a_create_answer_is_journaled_owned_and_deleted_with_the_scope(rt):
    """after_call journals what a fuzzed create made, owns its id, and the scope's end deletes it."""
    rt.begin("createVariable")
    c = case("POST /api/v1/variables", body={"name": "v"})
    new_id = str(uuid.uuid4())
    response = SimpleNamespace(status_code=200, content=json.dumps({"id": new_id, "name": "fc-t-gw-fz-v"}).encode())
    runtime.after_call(None, c, response)
    assert rt.tracker.tracked == [("variable", new_id, "fc-t-gw-fz-v")]
    assert rt.ownership.owns(new_id)
    assert ("variable", new_id) in rt.factory.made


def test_failed_creates_and_other_answers_journal_nothing(rt):
    """A refused create, or a 200 of a non-create, journals nothing."""
    rt.begin("createVariable")
    runtime.after_call(None, case("POST /api/v1/variables"), SimpleNamespace(status_code=400, content=b'{"id": "x"}'))
    runtime.after_call(None, case("GET /api/v1/variables"), SimpleNamespace(status_code=200, content=b'[{"id": "x"}]'))
    assert rt.tracker.tracked == []


def test_hooks_without_a_bound_runtime_still_guard_ids():
    """Outside the suite (no runtime) the guard still replaces foreign uuids."""
    runtime.bind(None)
    c = case("DELETE /api/v1/chatflows/{id}", path={"id": FOREIGN})
    runtime.before_call(None, c, {})
    assert c.path_parameters["id"] == stand_in(FOREIGN)


def test_rating_a_message_a_prediction_stored_names_its_chat_and_chatflow(rt):
    """A stateful link rates a stored message: path and body ids are the message's, not generated ones."""
    rt.begin(None)
    flow_id, message_id, chat_id = (str(uuid.uuid4()) for _ in range(3))
    rt.ownership.own(flow_id)  # the scenario created the chatflow
    answer = SimpleNamespace(status_code=200, content=json.dumps({"chatMessageId": message_id, "chatId": chat_id}).encode())
    runtime.after_call(None, case("POST /api/v1/prediction/{id}", path={"id": flow_id}), answer)
    c = case("POST /api/v1/feedback/{id}", path={"id": "generated"},
             body={"messageId": message_id, "rating": "THUMBS_UP", "chatId": "\u0011x"})
    runtime.before_call(None, c, {})
    assert c.path_parameters["id"] == flow_id and c.body["chatId"] == chat_id and c.body["messageId"] == message_id


def test_an_object_a_fuzzed_delete_removed_is_not_reported_as_left(rt):
    """Cleanup: a 2xx DELETE during fuzzing removed it; Tracker.delete reads it back as gone (no second DELETE,
    which Flowise 3.1.4 answers 500), so nothing is reported."""
    rt.begin("deleteTool")
    value = _pinned_value_for("path.id")
    c = case("DELETE /api/v1/tools/{id}", path={"id": value})
    runtime.before_call(None, c, {})
    runtime.after_call(None, c, SimpleNamespace(status_code=200, content=b'{"raw": [], "affected": 1}'))
    asked: list = []
    rt.tracker.delete = lambda kind, obj_id: asked.append((kind, obj_id)) or []  # read back: gone
    assert rt.end() == []
    assert asked and asked[-1][0] == "tool"


def test_a_fuzzed_delete_answered_2xx_is_not_taken_for_proof(rt):
    """Cleanup: a fuzzed DELETE answered 2xx, but the object is still there (Tracker.delete's read-back
    says so): the problem is reported, not waved away because of the 2xx."""
    rt.begin("deleteTool")
    c = case("DELETE /api/v1/tools/{id}", path={"id": _pinned_value_for("path.id")})
    runtime.before_call(None, c, {})
    tool_id = c.path_parameters["id"]
    runtime.after_call(None, c, SimpleNamespace(status_code=200, content=b'{"raw": [], "affected": 1}'))
    rt.tracker.delete = lambda kind, obj_id: [f"cleanup of {kind} {obj_id}: DELETE answered 200 but it is still there"]
    rt.tracker.gone = lambda kind, obj_id: None
    problems = rt.end()
    assert len(problems) == 1 and tool_id in problems[0], problems


def test_an_object_never_deleted_is_reported_when_cleanup_fails(rt):
    """Cleanup: an object nobody deleted whose DELETE fails stays a reported problem."""
    rt.begin("getTool")
    runtime.before_call(None, case("GET /api/v1/tools/{id}", path={"id": _pinned_value_for("path.id")}), {})
    rt.tracker.delete = lambda kind, obj_id: [f"cleanup of {kind} {obj_id}: DELETE answered 500"]
    assert len(rt.end()) == 1


def test_named_writes_are_derived_from_the_registry():
    """The creates and updates whose generated name gets the run's prefix are those the hand list named before."""
    before = {"createChatflow", "updateChatflow", "createTool", "updateTool", "createVariable", "updateVariable",
              "createDocumentStore", "updateDocumentStore"}
    got = set(runtime.named_writes())
    assert got == before, f"Expected {sorted(before)} / Received {sorted(got)}"
