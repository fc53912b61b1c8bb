"""The resource registry (flowise_conformance/resources.py, declared on the spec's tags) agrees with the spec.

A new spec path without a registered tag, a tag without paths, or a kind whose collection the
spec lost fails here by name, before a tracker, the guard or the auth matrix silently ignores it.
"""
from __future__ import annotations

from flowise_conformance import resources, spec_model
from flowise_conformance.spec import load_spec


def _path_tags() -> dict[str, set[str]]:
    spec = load_spec()
    return {path: {tag for method, op in ops.items() if method in spec_model.HTTP_METHODS for tag in op.get("tags") or []}
            for path, ops in spec["paths"].items()}


def test_every_spec_path_belongs_to_exactly_one_resource() -> None:
    """Each path's operations carry one tag, and that tag is a registered resource."""
    names = sorted(r.name for r in resources.all_resources())
    owners = {path: [r.name for r in resources.all_resources() if path in r.paths] for path in _path_tags()}
    wrong = {path: sorted(_path_tags()[path]) for path, found in owners.items() if len(found) != 1}
    assert not wrong, (f"Expected every spec path tagged with exactly one of {names} (resources.all_resources())\n"
                       f"Received: {wrong} (path: its tags)")


def test_every_resource_has_paths_and_its_kind_a_collection() -> None:
    """A declared tag is used by some path; a tag's x-fc-kind (unique) has a collection (POST) and item (DELETE)."""
    empty = [r.name for r in resources.all_resources() if not r.paths]
    assert not empty, f"Expected every resource to have spec paths\nReceived: no paths for {empty}"
    lost = [r.name for r in resources.all_resources() if r.kind and r.item is None]
    assert not lost, (f"Expected a collection (POST) with an item (DELETE .../{{id}}) for every resource with a kind\n"
                      f"Received: none for {lost}")
    kinds = [r.kind for r in resources.all_resources() if r.kind]
    assert len(kinds) == len(set(kinds)), f"Expected each x-fc-kind on one tag\nReceived: {sorted(kinds)}"


def test_owned_resources_as_the_spec_gives_them() -> None:
    """The kinds the run creates, their collections, and which are read back from the list, as the spec says."""
    got = {kind: (r.collection, r.read_by_list, r.create_operation, r.delete_operation)
           for kind, r in resources.owned().items()}
    expected = {
        "chatflow": ("/api/v1/chatflows", False, "createChatflow", "deleteChatflow"),
        "assistant": ("/api/v1/assistants", False, "createAssistant", "deleteAssistant"),
        "document_store": ("/api/v1/document-store/store", False, "createDocumentStore", "deleteDocumentStore"),
        "tool": ("/api/v1/tools", False, "createTool", "deleteTool"),
        "variable": ("/api/v1/variables", True, "createVariable", "deleteVariable"),  # no GET of one variable
    }
    assert got == expected, f"Expected {expected}\nReceived: {got}"


def test_public_paths_are_the_public_operations() -> None:
    """resources.is_public (the reference server's gate) admits exactly the operations with `security: []`."""
    spec = load_spec()
    default = spec.get("security")
    wrong = []
    for path, ops in spec["paths"].items():
        concrete = path.replace("{", "x").replace("}", "")
        for method, op in ops.items():
            if method in spec_model.HTTP_METHODS and (op.get("security", default) == []) != resources.is_public(concrete):
                wrong.append(f"{method.upper()} {path}")
    assert not wrong, f"Expected is_public() true exactly for the spec's public operations\nReceived: wrong for {wrong}"

