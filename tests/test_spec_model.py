"""The spec model (flowise_conformance/spec_model.py) is the spec's operations, complete and resolved,
and the only code that walks the document's paths: a second walker would drift from it unseen."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from flowise_conformance import spec_model
from flowise_conformance.paths import PACKAGE_DIR, suites_dir
from flowise_conformance.spec import load_spec

RAW_WALK_KEYS = frozenset({"paths", "$ref"})  # what only spec_model.py reads from the document


def _raw_operations() -> list[tuple[str, str, dict]]:
    """(METHOD, template, operation) straight from the YAML: the oracle the model is held to."""
    return [(method.upper(), path, op) for path, item in load_spec()["paths"].items()
            for method, op in item.items() if method in spec_model.HTTP_METHODS]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict) or hasattr(node, "items"):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, (list, tuple)):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_operation_of_the_spec_is_in_the_model_once():
    """Each (method, path) of the document is one model operation, with its operationId and tag."""
    expected = sorted((m, p, op["operationId"], op["tags"][0]) for m, p, op in _raw_operations())
    received = sorted((op.method, op.path, op.operation_id, op.tag) for op in spec_model.operations())
    assert received == expected, f"Expected: {expected}\nReceived: {received}"


def test_public_operations_are_the_specs_security_empty():
    """public is the effective security [] of the document (the default applies when an operation has none)."""
    default = load_spec().get("security")
    expected = sorted(op["operationId"] for _, _, op in _raw_operations() if op.get("security", default) == [])
    received = sorted(op.operation_id for op in spec_model.operations() if op.public)
    assert expected and received == expected, f"Expected: {expected}\nReceived: {received}"


def test_refs_are_resolved_in_parameters_bodies_and_responses():
    """No $ref is left for a reader to follow, and referenced parameters keep their component name."""
    left = {op.operation_id: _refs([op.responses, op.request_body, [p.schema for p in op.parameters]])
            for op in spec_model.operations()}
    left = {k: v for k, v in left.items() if v}
    assert not left, f"Expected: no $ref in the model\nReceived: {left}"
    get_chatflow = spec_model.by_id()["getChatflow"]
    assert [p.ref for p in get_chatflow.parameters] == ["ChatflowId"], \
        f"Expected: getChatflow's one parameter from components/parameters/ChatflowId\nReceived: {get_chatflow.parameters}"
    error = get_chatflow.responses["404"]["application/json"]
    assert set(error.get("required", ())) >= {"statusCode", "success", "message"}, \
        f"Expected: the Error schema under getChatflow 404\nReceived: {dict(error)}"


def test_the_model_is_read_only():
    """A reader that changes a schema would change it for every other reader."""
    op = spec_model.by_id()["createChatflow"]
    with pytest.raises(TypeError):
        op.request_body["application/json"]["type"] = "changed"  # type: ignore[index]


def test_a_request_path_matches_its_own_operation():
    """Each template, filled in (with and without a trailing '/'), is routed to its own operation
    (/chatflows/apikey/{apikey} is not read as /chatflows/{id}); a path outside the spec matches nothing."""
    wrong = {}
    for op in spec_model.operations():
        concrete = re.sub(r"\{[^}]+\}", "x1", op.path)
        for path in (concrete, concrete + "/"):
            found = spec_model.match(op.method.lower(), path)
            if found is not op:
                wrong[f"{op.method} {path}"] = getattr(found, "operation_id", None)
    if spec_model.match("GET", "/api/v1/nowhere") is not None:
        wrong["GET /api/v1/nowhere"] = spec_model.match("GET", "/api/v1/nowhere").operation_id
    assert not wrong, f"Expected: each request path routed to its own operation, none for /nowhere\nReceived: {wrong}"


def _raw_walks(tree: ast.AST) -> list[int]:
    """Lines that read 'paths' or '$ref' out of a mapping: x["paths"], x.get("paths"), "$ref" in x."""
    found = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            key = node.args[0].value
        elif (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
              and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops)):
            key = node.left.value
        if key in RAW_WALK_KEYS:
            found.append(node.lineno)
    return found


def test_no_module_but_the_spec_model_walks_the_document():
    """The package and the suites read operations from spec_model, never the document's paths or $refs."""
    sources = [*PACKAGE_DIR.rglob("*.py"), *suites_dir().rglob("*.py")]
    allowed = {PACKAGE_DIR / "spec_model.py"}
    walks = {str(Path(f).relative_to(PACKAGE_DIR.parent)): lines for f in sources if f not in allowed
             if (lines := _raw_walks(ast.parse(f.read_text(encoding="utf-8"))))}
    assert sources and not walks, f"Expected: only spec_model.py walks the spec\nReceived: {walks}"
