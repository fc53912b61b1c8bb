"""The error-shape hook fails a test whose own checks pass, naming the operation and status."""
from __future__ import annotations

from flowise_conformance.paths import suites_dir
from flowise_conformance.plugins import error_shape

# This test checks only statuses (DELETE 200, then GET 404): any error-shape failure is the hook's.
NODE = "chatflows/test_chatflows_lifecycle.py::test_get_after_delete_is_404"


def test_hook_fails_a_passing_test_that_saw_a_wrong_error_shape(run_cli):
    """With 404 bodies of the wrong shape, the status-only test fails with an 'Error shape:' message."""
    result = run_cli("run", "--reference-fault", "error-shape-404", str(suites_dir() / NODE))
    assert result.code == 1, result.stdout[-2000:]
    test = {t["id"]: t for t in result.summary()["tests"]}[NODE]
    assert test["outcome"] == "failed"
    assert ("Error shape: getChatflow (GET /api/v1/chatflows/{id}) answered 404 without the Error envelope"
            in test["message"]), test["message"]
    assert "'statusCode' is a required property" in test["message"]


def test_hook_lets_a_right_error_shape_pass(run_cli):
    """Without the fault the same test passes: the hook only reports real violations."""
    result = run_cli("run", str(suites_dir() / NODE))
    assert result.code == 0, result.stdout[-2000:]
    assert result.outcomes()[NODE] == "passed"


def test_recorder_is_chained_after_an_existing_on_exchange():
    """Installing the recorder keeps an on_exchange someone else installed, and installs only once."""
    seen = []
    client = type("C", (), {})()
    client.on_exchange = lambda exchange, response: seen.append(exchange)
    error_shape._install(client)  # noqa: SLF001
    first = client.on_exchange
    error_shape._install(client)  # noqa: SLF001
    assert client.on_exchange is first
    client.on_exchange("x", None)
    assert seen == ["x"]
