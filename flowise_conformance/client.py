"""The HTTP client every suite uses: one target, bounded timeouts, no redirects, a transcript.

Each exchange is recorded (redacted) so a failing test can show what it sent and got,
with a curl command that reproduces it.
"""
from __future__ import annotations

import itertools
import json
import shlex
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from contextlib import contextmanager

import httpx

from flowise_conformance.bodies import ACCEPT_ENCODING, BodyError, keep_body, kept_body, read_body
from flowise_conformance.config import Target
from flowise_conformance.errors import HarnessError
from flowise_conformance.redact import REDACTED, excerpt, redact

API = "/api/v1"
BODY_EXCERPT = 2000
MAX_BODY = 16 * 1024 * 1024  # a non-streamed response larger than this is a failure, not a memory hog
MAX_STRIKES = 2  # transport failures in a row after which a target is given up on
LOST_BUDGET_FACTOR = 4  # ... or once failures have cost this many of its longest timeouts, in all


def lost_budget(timeouts: Any) -> float:
    """Seconds of transport failures (timeouts, resets, oversized answers) one process accepts from a target.

    4 x its longest wait (timeouts.read or stream_event): 60 s with the default timeouts.
    """
    return LOST_BUDGET_FACTOR * max(timeouts.read, timeouts.stream_event)


class TargetMisbehaved(httpx.TransportError):
    """The target broke HTTP itself: no answer in time, reset, garbage, or an oversized body.

    A TransportError, so code that handles httpx errors (cleanup) handles it too.
    """


class _Health:
    """Per-target transport failures: a hostile server cannot stretch a run.

    Two rules, and every further request fails at once with the reason once either applies:
    MAX_STRIKES failures in a row (a server that never answers costs a few timeouts, not one
    per test), or failures that have cost more than the target's lost_budget() in all (one
    stalling endpoint among working ones costs one budget, not one timeout per test that uses
    it). The budget is per process: with xdist each worker has its own, so the run's wall time
    lost is about one budget, its total across workers at most one budget per worker.
    """

    def __init__(self) -> None:
        self.strikes: dict[str, int] = {}
        self.last: dict[str, str] = {}
        self.lost: dict[str, float] = {}  # seconds spent on requests that failed at the transport level
        self.budget: dict[str, float] = {}

    def set_budget(self, origin: str, seconds: float) -> None:
        self.budget[origin] = seconds

    def check(self, origin: str) -> None:
        if self.strikes.get(origin, 0) >= MAX_STRIKES:
            raise TargetMisbehaved(
                f"not sent: the target failed {MAX_STRIKES} requests in a row at the transport level "
                f"(last: {self.last.get(origin)})"
            )
        budget = self.budget.get(origin)
        if budget is not None and self.lost.get(origin, 0.0) >= budget:
            raise TargetMisbehaved(
                f"not sent: requests that failed at the transport level have cost this run "
                f"{self.lost[origin]:.0f} s against this target, its budget is {budget:.0f} s "
                f"(last: {self.last.get(origin)})"
            )

    def failed(self, origin: str, reason: str, seconds: float = 0.0) -> None:
        self.strikes[origin] = self.strikes.get(origin, 0) + 1
        self.last[origin] = reason
        self.lost[origin] = self.lost.get(origin, 0.0) + seconds

    def ok(self, origin: str) -> None:
        self.strikes[origin] = 0


HEALTH = _Health()


def _describe_transport_error(exc: httpx.HTTPError, request: httpx.Request, timeouts: Any) -> str:
    where = f"{request.method} {request.url}"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect for {where} within {timeouts.connect:.0f} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no bytes of the answer to {where} within {timeouts.read:.0f} s ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending a response" in str(exc):  # EOF or RST before the status line
            return f"the server closed the connection for {where} without answering"
        return f"the answer to {where} is not valid HTTP: {exc}"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.ConnectError)):
        return f"the connection for {where} failed: {type(exc).__name__}: {exc or 'reset by the server'}"
    return f"{where} failed: {type(exc).__name__}: {exc}"


_SEQUENCE = itertools.count()
CLEANUP_MARK = "# cleanup: sent after the test's requests, to delete what it created"


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed: float | None = None
    error: str | None = None
    cleanup: bool = False  # sent by the run's cleanup after the test's own requests (not what failed)
    seq: int = field(default_factory=lambda: next(_SEQUENCE), compare=False)  # the order across clients

    def as_curl(self) -> str:
        parts = ["curl", "-sS", "-X", self.method]
        for name, value in self.request_headers.items():
            if name.lower() in ("host", "content-length", "accept-encoding", "connection", "user-agent", "accept"):
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.request_body is not None:
            parts += ["--data-binary", self.request_body]
        parts.append(self.url)
        return redact(" ".join(shlex.quote(p) for p in parts))

    def render(self) -> str:
        lines = [f"> {self.method} {self.url}"] + ([CLEANUP_MARK] if self.cleanup else [])
        lines += [f"> {k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body is not None:
            lines += [">", "> " + self.request_body]
        if self.error:
            lines.append(f"! {self.error}")
        else:
            lines.append(f"< {self.status} ({self.elapsed:.3f}s)" if self.elapsed is not None else f"< {self.status}")
            lines += [f"< {k}: {v}" for k, v in self.response_headers.items()]
            if self.response_body:
                lines += ["<", "< " + self.response_body]
        lines.append("reproduce: " + self.as_curl())
        return redact("\n".join(lines))


def _safe_headers(headers: httpx.Headers) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        out[name] = f"Bearer {REDACTED}" if name.lower() == "authorization" and value.startswith("Bearer ") else (
            REDACTED if name.lower() == "authorization" else value
        )
    return out


def _body_text(content: bytes | None, limit: int = BODY_EXCERPT) -> str | None:
    """At most ``limit`` characters of a body, redacted before it is cut (a cut key leaves pieces)."""
    if content is None:
        return None
    head = content[:limit * 4 + 4 * 1024].decode("utf-8", errors="replace")  # enough for any cut and any key
    return excerpt(head, limit, more=f"... ({len(content)} bytes)") if len(content) > limit else redact(head)


class FlowiseClient:
    """A thin layer over ``httpx.Client`` bound to one target.

    ``authed=False`` sends no Authorization header unless a test passes one.
    """

    def __init__(self, target: Target, *, authed: bool = True, transport: httpx.BaseTransport | None = None,
                 on_exchange: Callable[[Exchange, httpx.Response | None], None] | None = None) -> None:
        if not target.base_url:
            raise ValueError("target has no base_url")
        headers = {"Authorization": f"Bearer {target.api_key}"} if authed and target.api_key else {}
        headers["Accept-Encoding"] = ACCEPT_ENCODING  # the codings bodies.py undoes within bounds
        t = target.timeouts
        self.target = target
        HEALTH.set_budget(target.base_url, lost_budget(t))
        self.transcript: list[Exchange] = []
        self.cleaning = False  # set by cleaning_up(): the exchanges are marked cleanup
        self.on_exchange = on_exchange
        self._http = httpx.Client(
            base_url=target.base_url,
            headers=headers,
            timeout=httpx.Timeout(min(t.read, t.request), connect=t.connect),
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    @contextmanager
    def cleaning_up(self) -> Iterator[None]:
        """Marks the exchanges sent inside as the run's cleanup (reports then show the test's last request)."""
        before, self.cleaning = self.cleaning, True
        try:
            yield
        finally:
            self.cleaning = before

    def url(self, path: str) -> str:
        """The path to send; one with a dot segment, '?' or '#' (an id pasted in unencoded) is refused."""
        from flowise_conformance.ids import check_path

        check_path(path)
        return path if path.startswith("/") else f"{API}/{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        request = self._http.build_request(method, self.url(path), **kwargs)
        return self.send(request)

    def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send one request; a non-streamed answer is read whole within timeouts.request and MAX_BODY."""
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = None
        exchange = Exchange(request.method, str(request.url), _safe_headers(request.headers),
                            "<streamed body>" if body is None else _body_text(body), cleanup=self.cleaning)
        self.transcript.append(exchange)
        origin = self.target.base_url or ""
        started = time.monotonic()
        try:
            HEALTH.check(origin)
            response = self._http.send(request, stream=True)
            if not stream:
                self._read_bounded(response)
        except (httpx.HTTPError, TargetMisbehaved) as exc:
            reason = str(exc) if isinstance(exc, TargetMisbehaved) else _describe_transport_error(exc, request, self.target.timeouts)
            if not str(exc).startswith("not sent:"):
                HEALTH.failed(origin, reason, time.monotonic() - started)
            exchange.error = reason
            if self.on_exchange:
                self.on_exchange(exchange, None)
            raise TargetMisbehaved(reason) from None
        except HarnessError as exc:  # refused by the run's safety guard (plugins/safety/): never sent
            exchange.error = f"not sent: {exc}"
            raise
        HEALTH.ok(origin)
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers)
        exchange.elapsed = response.elapsed.total_seconds() if not stream else None
        exchange.response_body = "<streamed>" if stream else _body_text(response.content)
        if self.on_exchange:
            self.on_exchange(exchange, response)
        return response

    def _read_bounded(self, response: httpx.Response) -> None:
        self._read_within(response, self.target.timeouts.request)

    def read_body(self, response: httpx.Response, seconds: float) -> bytes:
        """Read a streamed answer's body within `seconds` and MAX_BODY (each Content-Encoding layer too).

        The body is kept on the response (``.content``, ``.json()``); the response is closed.
        Raises TargetMisbehaved saying which bound the answer broke; that failure and the
        time it took count against the target (HEALTH), like a failed request.
        """
        started = time.monotonic()
        try:
            return self._read_within(response, seconds)
        except TargetMisbehaved as exc:
            HEALTH.failed(self.target.base_url or "", str(exc), time.monotonic() - started)
            raise

    def _read_within(self, response: httpx.Response, seconds: float) -> bytes:
        already = kept_body(response)
        if response.is_stream_consumed and already is not None:
            return already  # read (bounded) by an earlier reader, e.g. the error-shape hook
        deadline = time.monotonic() + seconds
        try:
            content = read_body(response.iter_raw(), response.headers.get("content-encoding"), limit=MAX_BODY,
                                deadline=deadline, seconds=seconds)
        except BodyError as exc:
            raise TargetMisbehaved(f"the answer to {response.request.method} {response.request.url} {exc}") from None
        except httpx.HTTPError as exc:
            raise TargetMisbehaved(_describe_transport_error(exc, response.request, self.target.timeouts)) from None
        finally:
            response.close()
        keep_body(response, content)
        return content

    @contextmanager
    def stream(self, method: str, path: str, *, read_timeout: float | None = None, **kwargs: Any) -> Iterator[httpx.Response]:
        timeout = httpx.Timeout(read_timeout or self.target.timeouts.stream_event, connect=self.target.timeouts.connect)
        request = self._http.build_request(method, self.url(path), timeout=timeout, **kwargs)
        response = self.send(request, stream=True)
        try:
            yield response
        finally:
            response.close()

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def requests_exchange(request: Any, status: int, headers: dict[str, Any], content: bytes, elapsed: float) -> Exchange:
    """An Exchange of a request sent through ``requests`` (schemathesis' calls), as a transcript shows it."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    return Exchange(request.method or "", request.url or "", _safe_headers(httpx.Headers(dict(request.headers))),
                    _body_text(body) if isinstance(body, bytes) else None, status,
                    {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in headers.items()},
                    _body_text(content), elapsed)


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None
