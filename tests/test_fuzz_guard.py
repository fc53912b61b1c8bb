"""The fuzz suite's id guard: ids the run does not own never reach the server."""
from __future__ import annotations

import uuid

from flowise_conformance.fuzz.guard import Ownership, is_uuid, stand_in

FOREIGN = "0083f9b1-c88d-4e21-bbc5-51b553f7dc11"
OWNED = "6f1c2d8e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"


def test_stand_in_is_a_deterministic_different_uuid():
    """The same foreign id always becomes the same stand-in, a uuid other than the id itself."""
    assert stand_in(FOREIGN) == stand_in(FOREIGN)
    assert stand_in(FOREIGN) != FOREIGN
    assert is_uuid(stand_in(FOREIGN))
    assert stand_in(FOREIGN) != stand_in(OWNED)


def test_foreign_uuid_in_path_is_replaced_owned_and_non_uuid_are_kept():
    """Path ids: a foreign uuid is replaced, an owned uuid and a non-uuid string are sent as they are."""
    owned = Ownership()
    owned.own(OWNED)
    params = {"id": FOREIGN, "chatflowId": OWNED, "chatId": "not-a-uuid", "pageNo": 3}
    replaced = owned.sanitize_path(params)
    assert replaced == ["id"]
    assert params == {"id": stand_in(FOREIGN), "chatflowId": OWNED, "chatId": "not-a-uuid", "pageNo": 3}


def test_owned_ids_match_case_insensitively_and_can_be_disowned():
    """An owned id in upper case is still owned; once disowned it is replaced again."""
    owned = Ownership()
    owned.own(OWNED)
    assert owned.safe(OWNED.upper()) == OWNED.upper()
    owned.disown(OWNED)
    assert owned.safe(OWNED) == stand_in(OWNED)


def test_foreign_uuids_in_a_json_body_are_replaced_at_the_top_level():
    """Body: top-level uuid strings the run does not own are replaced; other values are kept."""
    owned = Ownership()
    body = {"messageId": FOREIGN, "rating": "THUMBS_UP", "nested": {"id": FOREIGN}, "n": 1}
    assert owned.sanitize_body(body) == ["messageId"]
    assert body["messageId"] == stand_in(FOREIGN) and body["nested"] == {"id": FOREIGN}
    assert owned.sanitize_body(["not", "a", "dict"]) == []


def test_uuid_recognition():
    """Hyphenated, braced and plain hex uuids are ids; other strings are not."""
    u = uuid.uuid4()
    for text in (str(u), u.hex, "{" + str(u) + "}"):
        assert is_uuid(text), text
    for text in ("", "abc", "0", str(u)[:-1], 5, None):
        assert not is_uuid(text), text
