"""One shared hook: every 4xx/5xx answer a hand-written test receives must carry the Error envelope.

Design (kept deliberately small):

1. Recording. For the call phase of every test, the plugin chains a recorder onto
   ``FlowiseClient.on_exchange`` of the session's clients (the ``api`` and ``anon``
   fixtures; an ``on_exchange`` already installed by someone else keeps being called).
   Each answer with status >= 400 (HEAD excepted) goes through
   ``checks.error_shape.error_shape_problem``; a streamed error answer is read first, up to
   1 MiB and 15 s, and kept on the response for the test. Requests made by fixtures during setup
   and teardown are not recorded.
2. Reporting. After the call phase, in ``error_shape_stage`` (a stage of plugins/outcome.py,
   before the transcript, redaction and expectations stages, so those still apply), the
   violations become a failure of that test, titled ``Error shape:`` and naming each
   operation (spec operationId and path template) and status. A test that passed is turned
   into a failure with that message; a test that already failed for its own reason keeps its
   message and gets an ``error shape`` report section, so neither hides the other.

So a wrong error body never passes unnoticed, whichever test provoked it, and the report
says which operation and status broke the envelope. The variants real Flowise sends are
listed in docs/error-shapes.md; the documented envelope stays the requirement.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from flowise_conformance.bodies import BodyError, keep_body, read_body
from flowise_conformance.checks.core import ConformanceFailure
from flowise_conformance.checks.error_shape import error_shape_problem, operation_label
from flowise_conformance.client import Exchange, FlowiseClient
from flowise_conformance.redact import redact

EXPECTED = "{statusCode: <the HTTP status>, success: false, message: <string>, stack?: ...} as application/json"


@dataclass(frozen=True)
class Violation:
    operation: str
    status: int
    problem: str

    def line(self) -> str:
        return f"{self.operation} answered {self.status}: {self.problem}"


class _Recorder:
    def __init__(self) -> None:
        self.active = False
        self.seen: list[Violation] = []

    def __call__(self, exchange: Exchange, response: httpx.Response | None) -> None:
        if not self.active or response is None or response.status_code < 400 or exchange.method == "HEAD":
            return
        problem: str | None = None
        try:
            body: bytes | None = response.content
        except httpx.ResponseNotRead:
            body, problem = _read_streamed(response)
        if body is not None:
            problem = error_shape_problem(response.status_code, response.headers.get("content-type"), body)
        if problem:
            found = Violation(operation_label(exchange.method, urlsplit(exchange.url).path), response.status_code,
                              redact(problem))
            if found not in self.seen:
                self.seen.append(found)


RECORDER = _Recorder()
MAX_ERROR_BODY = 1 << 20  # a streamed error answer is read up to this size ...
ERROR_BODY_SECONDS = 15.0  # ... and for at most this long


def _read_streamed(response: httpx.Response) -> tuple[bytes | None, str | None]:
    """Read a streamed error answer within bounds; keep it on the response for the test to use.

    Raw bytes, decoded by bodies.py with every Content-Encoding layer capped (httpx would
    inflate a gzip bomb whole).
    """
    try:
        body = read_body(response.iter_raw(), response.headers.get("content-encoding"), limit=MAX_ERROR_BODY,
                         deadline=time.monotonic() + ERROR_BODY_SECONDS, seconds=ERROR_BODY_SECONDS)
    except BodyError as exc:
        return None, f"the error body {exc}"
    except httpx.HTTPError as exc:
        return None, f"the error body could not be read ({type(exc).__name__}: {exc})"
    keep_body(response, body)  # so the test can still read it
    return body, None


def _install(client: FlowiseClient) -> None:
    current = client.on_exchange
    if current is RECORDER or getattr(current, "_fc_error_shape", False):
        return
    if current is None:
        client.on_exchange = RECORDER
        return

    def chained(exchange: Exchange, response: httpx.Response | None) -> None:
        current(exchange, response)
        RECORDER(exchange, response)

    chained._fc_error_shape = True  # type: ignore[attr-defined]
    client.on_exchange = chained


def _session_clients() -> list[FlowiseClient]:
    from flowise_conformance import pytest_plugin

    return list(getattr(pytest_plugin, "_clients", []))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # noqa: ANN201
    RECORDER.seen.clear()
    for client in _session_clients():
        _install(client)
    RECORDER.active = True
    try:
        yield
    finally:
        RECORDER.active = False


def render(violations: list[Violation]) -> str:
    if len(violations) == 1:
        title = f"Error shape: {violations[0].operation} answered {violations[0].status} without the Error envelope"
    else:
        title = f"Error shape: {len(violations)} error answers without the Error envelope"
    received = "\n".join(f"  - {v.line()}" for v in violations)
    return f"{title}\n  Expected: {EXPECTED}\n  Received:\n{received}"


def error_shape_stage(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): the call's recorded violations fail the test or join its failure."""
    if call.when != "call" or not RECORDER.seen:
        return
    text = render(RECORDER.seen)
    RECORDER.seen.clear()
    if report.passed:
        report.outcome = "failed"
        report.longrepr = f"{ConformanceFailure.__name__}: {text}"  # read like any other check's failure
    else:
        report.sections.append(("error shape", text))
