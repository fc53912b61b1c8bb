"""A suite failure names the first thing that went wrong, in one style: Expected / Received."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from flowise_conformance.paths import suites_dir

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "request"}
CLIENTS = {"api", "anon"}  # the suites' HTTP client fixtures
STATUS_ATTRS = {"status_code", "is_success", "is_error"}


def _suite_functions() -> Iterator[tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for path in sorted(suites_dir().rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path, node


def _is_http_call(node: ast.AST) -> bool:
    """api.get(...), anon.post(...), or a fixture callable such as put_assistant(...)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in HTTP_METHODS and isinstance(func.value, ast.Name) and func.value.id in CLIENTS
    return isinstance(func, ast.Name) and func.id.startswith(("post_", "put_", "get_", "delete_"))


def _unchecked_parses(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[int, str]]:
    """Bodies parsed (expect_json(r) with no status, r.json()) before the status of r was checked."""
    responses: set[str] = set()  # names bound to an HTTP answer
    events: list[tuple[int, int, str, str]] = []  # (line, order, kind, target); a check on a line counts first
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and _is_http_call(node.value):
            responses.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Attribute) and node.attr in STATUS_ATTRS:
            events.append((node.lineno, 0, "check", ast.unparse(node.value)))
        elif isinstance(node, ast.Call) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name == "expect_status":
                events.append((node.lineno, 0, "check", ast.unparse(node.args[0])))
            elif name == "expect_json" and len(node.args) > 1:
                events.append((node.lineno, 0, "check", ast.unparse(node.args[0])))
            elif name == "expect_json":
                events.append((node.lineno, 1, "parse", ast.unparse(node.args[0])))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "json":
            events.append((node.lineno, 1, "parse", ast.unparse(node.func.value)))
    checked: set[str] = set()
    found = []
    for line, _, kind, target in sorted(events):
        if kind == "check":
            checked.add(target)
        elif target not in checked and (target in responses or _is_http_call(ast.parse(target, mode="eval").body)):
            found.append((line, target))
    return found


def test_no_body_is_parsed_before_its_status_is_checked():
    """A body read before its status turns a 404 into 'name: None': check the status first
    (expect_status, or expect_json(response, 200))."""
    found = [
        f"{path.relative_to(suites_dir())}:{line} {fn.name}: {target}"
        for path, fn in _suite_functions()
        for line, target in _unchecked_parses(fn)
    ]
    assert not found, "Expected: every parsed answer's status checked first\nReceived:\n" + "\n".join(found)


def test_a_404_on_get_is_named_as_the_status(run_cli):
    """Under a fault where GET of a created tool answers 404, the failure names the 404 and the request,
    not a field that the 404's body lacks."""
    node = "tools/test_tools_lifecycle.py::test_update_changes_only_the_fields_sent"
    result = run_cli("run", "--reference-fault", "tool-get-not-found", str(suites_dir() / node), timeout=120)
    tests = {t["id"]: t for t in result.summary()["tests"]}
    message = tests.get(node, {}).get("message", "")
    assert "Received: 404" in message and "for GET /api/v1/tools/" in message, (
        f"Expected: a message naming 'Received: 404 ... for GET /api/v1/tools/<id>'\nReceived: {message!r}"
    )


RESPONSE_ATTRS = STATUS_ATTRS | {"headers", "text", "content", "elapsed"}


def _bare_asserts_on_a_response(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[int, str]]:
    """Bare asserts whose condition reads an HTTP answer (its status, headers, text or parsed body)."""
    responses = {t.id for node in ast.walk(fn) if isinstance(node, ast.Assign) and _is_http_call(node.value)
                 for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assert):
            continue
        for part in ast.walk(node.test):
            reads = (isinstance(part, ast.Attribute) and part.attr in RESPONSE_ATTRS) or (
                isinstance(part, ast.Name) and part.id in responses) or (
                isinstance(part, ast.Call) and isinstance(part.func, ast.Name) and part.func.id == "expect_json")
            if reads:
                found.append((node.lineno, ast.unparse(node.test)[:100]))
                break
    return found


def test_no_bare_assert_reads_a_response():
    """A bare assert on an answer fails as 'assert not True / + where True = <Response [200 OK]>.is_success':
    the expect_* checks say Expected / Received and name the request."""
    found = [
        f"{path.relative_to(suites_dir())}:{line} {fn.name}: assert {test}"
        for path, fn in _suite_functions()
        for line, test in _bare_asserts_on_a_response(fn)
    ]
    assert not found, "Expected: no bare assert on an answer in suites/\nReceived:\n" + "\n".join(found)


def test_the_general_checks_say_expected_received_and_the_request():
    """expect / expect_equal / expect_refused fail as the other expect_* do: title, Expected, Received, request."""
    import httpx
    import pytest

    from flowise_conformance.checks import ConformanceFailure, expect_equal, expect_refused

    answer = httpx.Response(200, text="pang", request=httpx.Request("GET", "http://127.0.0.1:1/api/v1/ping"))
    with pytest.raises(ConformanceFailure) as equal:
        expect_equal(answer.text, "pong", "GET /ping does not answer pong", answer)
    with pytest.raises(ConformanceFailure) as refused:
        expect_refused(answer, "The bad request was accepted")
    wanted = {
        str(equal.value): "GET /ping does not answer pong\n  Expected: 'pong'\n  Received: 'pang' (answer: 200",
        str(refused.value): "The bad request was accepted\n  Expected: status >= 400 (refused)\n  Received: 200",
    }
    for message, start in wanted.items():
        assert message.startswith(start) and "for GET /api/v1/ping" in message, (
            f"Expected: a message starting {start!r} naming GET /api/v1/ping\nReceived: {message!r}"
        )


def test_suites_use_no_bare_assert():
    """One style: every check in suites/ says Expected / Received (a bare assert prints pytest's own rewrite)."""
    found = [
        f"{path.relative_to(suites_dir())}:{node.lineno} {fn.name}: assert {ast.unparse(node.test)[:100]}"
        for path, fn in _suite_functions()
        for node in ast.walk(fn) if isinstance(node, ast.Assert)
    ]
    assert not found, "Expected: no bare assert in suites/\nReceived:\n" + "\n".join(found)
