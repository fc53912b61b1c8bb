"""Pinning plan of the fuzz suite: it names real operations and parameters, and pins deterministically."""
from __future__ import annotations

import pytest

from flowise_conformance.fuzz import pins
from flowise_conformance.fuzz.operations import by_id, operations


def _path_params(op) -> set[str]:
    return {p.name for p in op.parameters if p.location == "path"}  # spec_model: path-level ones included


def _body_properties(op) -> set[str]:
    return {name for schema in op.request_body.values() for name in schema.get("properties", {})}


@pytest.mark.parametrize("operation_id", sorted(pins.plan()))
def test_plan_names_a_parameter_the_operation_has(operation_id):
    """Every pinned parameter exists in the spec for that operation (a renamed one would silently stop pinning)."""
    op = by_id()[operation_id]
    for where in pins.plan()[operation_id]:
        location, _, name = where.partition(".")
        known = _path_params(op) if location == "path" else _body_properties(op)
        assert name in known, f"{operation_id}: {where} is not a {location} parameter ({sorted(known)})"


def test_every_operation_with_an_object_id_in_its_path_is_pinned_or_deliberately_not():
    """Operations whose path names an object are pinned, except the documented exception (an API key)."""
    unpinned = {"getChatflowsByApiKey"}
    for op in operations():
        if _path_params(op) and op.operation_id not in unpinned:
            assert op.operation_id in pins.plan(), f"{op.operation_id} ({op.label}) has path ids but no pin"


def test_pin_plan_kinds_have_factories():
    """Every kind a pin points at can be made: by a hand-written method, else from its create schema."""
    from flowise_conformance.resources import owned

    for plan in pins.plan().values():
        for pin in plan.values():
            kind = pin.kind.partition(".")[0]
            if not callable(getattr(pins.Factory, kind, None)):
                assert kind in owned(), f"Expected a Factory method or an owned kind / Received {kind!r}"
                pins.create_body(kind, "fc-t-gw-x-1")  # raises HarnessError when the schema cannot serve it


def test_generic_factory_makes_a_named_valid_body_from_the_create_schema():
    """A kind without a hand-written maker (document_store) gets its required properties, named the run's."""
    made = []

    class Recording(pins.Factory):
        def _create(self, kind, body, name):
            made.append((kind, body, name))
            return {"id": "x", **body}

    factory = Recording(api=None, tracker=None, new_name=lambda what: f"fc-t-gw-{what}-1",  # type: ignore[arg-type]
                        ownership=None)
    factory.make("document_store")
    expected = [("document_store", {"name": "fc-t-gw-fuzz-document-store-1"}, "fc-t-gw-fuzz-document-store-1")]
    assert made == expected, f"Expected {expected} / Received {made}"


def test_generic_factory_refuses_a_schema_it_cannot_serve(monkeypatch):
    """A create schema without 'name' (proof could not find the run's name) asks for a hand-written method."""
    from flowise_conformance.errors import HarnessError

    monkeypatch.setattr(pins, "_plain", lambda schema: {"type": "object", "required": ["title"],
                                                          "properties": {"title": {"type": "string"}}})
    with pytest.raises(HarnessError, match="write Factory.document_store"):
        pins.create_body("document_store", "fc-t-gw-x-1")


def test_pinning_is_deterministic_and_keeps_some_generated_ids():
    """The same generated value is always pinned the same way; about 1 in 4 keeps its generated id."""
    values = [f"value-{i}" for i in range(400)]
    first = [pins.pinned(v, "path.id") for v in values]
    assert first == [pins.pinned(v, "path.id") for v in values]
    kept = first.count(False)
    assert 60 <= kept <= 140, kept


def test_factory_refuses_unknown_kinds():
    """A plan typo is a harness error, not a call to some other method."""
    from flowise_conformance.errors import HarnessError

    factory = pins.Factory(api=None, tracker=None, new_name=str, ownership=None)  # type: ignore[arg-type]
    for kind in ("nope", "make", "cleanup", "_create"):
        with pytest.raises(HarnessError):
            factory.make(kind)
