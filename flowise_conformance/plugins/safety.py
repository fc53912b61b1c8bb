"""Safe on live servers: one guard on every request a run sends, Ctrl-C, read-only, redaction.

While suites run, every HTTP request of this process, whatever library sends it (httpx for
the hand-written suites and the cleanup, requests for schemathesis), passes ``Guard.check``
at the transport, just before it would leave:

- it goes to the target's scheme, host and port only (or an origin given to
  ``allow_origin``, for a loopback server a test starts itself); redirects are never
  followed by our client, and a redirect some other library follows is refused here;
- in ``--read-only`` mode no POST, PUT, PATCH or DELETE leaves (``mutating`` tests are
  skipped; an unmarked test that tries one fails as a harness error);
- no POST, PUT, PATCH or DELETE leaves whose path names an object that existed on the
  target before the run (ids listed at the start: chatflows, tools, variables, assistants,
  document stores, API keys, credentials); a failed listing stops the run (exit 2);
- a state-changing request leaves only for one of the spec's write operations (a server id
  with ``..`` resolved into a collection or ``/api/v1`` is refused), and a PUT/PATCH/DELETE of
  an owned kind's object only when it reads back with the run's name (proof.py);
- no client follows a redirect of a write (httpx clients, requests sessions);
- after Ctrl-C (or SIGTERM) every request is bounded by what is left of a STOP_BUDGET and
  refused once it is spent, so a run stops within about 10 s even against a hung server;
- a create (POST to the collection of an owned resource, ``resources.owned()``) answered with an id is
  journaled as soon as its answer has been read, so the journal is complete whatever the
  test does with it (``tracker.journal_created`` journals anything else).

A refusal raises ``SafetyRefused`` and fails the test as a harness error (even if the test
catches the exception). The API key is redacted from report sections, skip reasons,
properties, log records, Allure files and the terminal; the report files are scrubbed at
the end. See docs/safety.md.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Generator, Iterator
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from flowise_conformance.bodies import LayeredDecoder
from flowise_conformance.errors import HarnessError
from flowise_conformance.redact import RedactingStream, redact, redact_any, redact_bytes, register_secret, scrub_files

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Seconds from Ctrl-C to the last request of the cleanup (what is left of 10 s: reports and exit).
STOP_BUDGET = 5.0  # a run without xdist workers
WORKER_BUDGET = 3.5  # an xdist worker's own teardown
WORKERS_WAIT = 4.5  # the controller waits this long for its workers to end, then they are killed
CONTROLLER_BUDGET = 6.0  # the controller's sweep after its workers
EXTRA_LISTS = {"apikey": "/api/v1/apikey", "credential": "/api/v1/credentials"}  # foreign ids only
READ_ONLY_REASON = "read-only mode: this test sends state-changing requests (POST/PUT/PATCH/DELETE)"
# In --read-only mode a test is state-changing when it is marked ``mutating`` or uses the ``tracker``
# fixture (directly or through another fixture, e.g. ``chatflow``): the tracker owns created objects.
MAX_JOURNAL_BODY = 1 << 20  # a create answer bigger than this is not parsed for its id
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SafetyRefused(HarnessError):
    """The run's safety guard refused to send a request (it never left this process)."""


def _stop_error(message: str, library: str) -> Exception:
    """The exception a refused request raises after the stop budget: the library's transport error."""
    if library == "requests":
        import requests

        return requests.exceptions.ConnectionError(message)
    return httpx.ConnectError(message)


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


def collections() -> dict[str, str]:
    """Collection path -> kind of the owned resources (resources.owned(): ``/api/v1/tools`` -> ``tool``)."""
    from flowise_conformance.resources import owned

    return {resource.collection: kind for kind, resource in owned().items()}


@dataclass
class Guard:
    base_url: str
    read_only: bool = False
    foreign: frozenset[str] = frozenset()
    journal_to: Callable[[str, str, str | None], None] | None = None
    origins: set[tuple[str, str, int]] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    stop_deadline: float | None = None
    # chatflows the target file offers (fixtures): predictions on them are allowed, nothing else
    predict_only: frozenset[str] = frozenset()
    run_prefix: str | None = None  # fc-<tag>-: names the run gives its objects
    intent_to: Callable[[str, str], None] | None = None  # journals a create about to be sent
    resolved_to: Callable[[str], None] | None = None  # journals a create intent as not created (4xx)
    # reads an object back (proof.Prover.read): a PUT/DELETE goes only to what carries the run's name
    reader: Callable[[str, str], Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        from flowise_conformance.proof import write_operations

        self.origins.add(origin_of(self.base_url))
        self.base_path = urlsplit(self.base_url).path.rstrip("/")
        self.creates = collections()
        self.writes = write_operations()
        self.created_ids: set[str] = set()  # ids this process journaled from create answers
        self.deleted_ids: set[str] = set()  # ids whose DELETE this process saw answered 2xx or 404
        self.defects: list[str] = []  # create answers the run could not take as its own objects

    # -- decisions
    def api_path(self, url: str) -> str:
        path = urlsplit(url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):]
        return path.rstrip("/") or "/"

    def refuse(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)
        raise SafetyRefused(message)

    def check(self, method: str, url: str, library: str = "httpx") -> None:
        method = method.upper()
        if self.stop_deadline is not None and time.monotonic() >= self.stop_deadline:
            raise _stop_error(f"not sent: stopping after an interrupt, the {STOP_BUDGET:.0f} s budget is spent "
                              f"({method} {url})", library)
        if origin_of(url) not in self.origins:
            self.refuse(f"refused {method} {url}: the run sends requests to the target "
                        f"{self.base_url} only (a redirect elsewhere is never followed)")
        if method not in UNSAFE_METHODS:
            return
        if self.read_only:
            self.refuse(f"refused {method} {self.api_path(url)}: read-only mode sends no state-changing request; "
                        "mark the test @pytest.mark.mutating")
        path = self.api_path(url)
        if not self.is_api_write(method, path):
            self.refuse(f"refused {method} {path}: no state-changing operation of the API has this path (a server "
                        "id with '.', '..' or '/' resolved into another path?); nothing outside them is ever sent")
        if self.foreign:
            named = set(_UUID.findall(path)) | {unquote(s) for s in path.split("/") if s}
            hit = sorted(named & self.foreign)
            if hit and method == "POST" and path.startswith("/api/v1/prediction/") and set(hit) <= self.predict_only:
                return  # the target declares this chatflow usable: a prediction only adds its own chat
            if hit:
                self.refuse(f"refused {method} {path}: {hit[0]} is an object that existed on the target before "
                            "this run; the run never changes or deletes what it did not create")
        self.prove_write(method, path)

    def is_api_write(self, method: str, path: str) -> bool:
        """A state-changing operation of the spec, each parameter one segment that is not a dot segment."""
        if any(unquote(s) in (".", "..") for s in path.split("/")):
            return False
        return any(m == method and pattern.match(path) for m, pattern in self.writes)

    def prove_write(self, method: str, path: str) -> None:
        """A PUT/PATCH/DELETE of an owned kind's object goes out only when it reads back as the run's.

        An object the server says is absent may be written (a not-found check), unless only its list
        says so and the run got its id from a create answer and never deleted it: a hidden object is
        not absent. An id the run made up (a fuzzer's) that no GET can carry is a probe: it is sent
        encoded, as the one segment the spec allows.
        """
        from flowise_conformance.proof import ABSENT, OURS, UNKNOWN, written_object

        found = written_object(method, path) if self.reader is not None else None
        if found is None:
            return
        kind, obj_id = found
        reading = self.reader(kind, obj_id)  # type: ignore[misc]
        made_up = obj_id not in self.created_ids
        if reading.state == OURS or (reading.state == UNKNOWN and reading.how == "id" and made_up):
            return
        if reading.state == ABSENT and (reading.how == "item" or made_up or obj_id in self.deleted_ids):
            return
        why = reading.detail or f"its {kind} list does not show it, though a create of this run answered its id"
        self.refuse(f"refused {method} {path}: cannot prove {kind} {obj_id} is an object of this run ({why}); "
                    "the run changes only what it can prove it created")

    def remaining(self) -> float | None:
        if self.stop_deadline is None:
            return None
        return max(0.05, self.stop_deadline - time.monotonic())

    def begin_stop(self, budget: float = STOP_BUDGET) -> None:
        if self.stop_deadline is None:
            self.stop_deadline = time.monotonic() + budget

    def allow_origin(self, url: str) -> None:
        self.origins.add(origin_of(url))

    # -- the journal
    def created_kind(self, method: str, url: str) -> str | None:
        if method.upper() != "POST" or self.journal_to is None:
            return None
        return self.creates.get(self.api_path(url))

    def intent(self, kind: str, body: bytes | None) -> str | None:
        """Journal a create about to be sent, by the run-unique name in its body (if it has one)."""
        if not body or not self.run_prefix or self.intent_to is None or len(body) > MAX_JOURNAL_BODY:
            return None
        # fc-<tag>- or, where names must be identifiers (tools, variables), fc_<tag>_
        tag = re.escape(self.run_prefix[3:-1]).encode()
        found = re.search(rb"(?<![A-Za-z0-9_.-])fc[-_]" + tag + rb"[-_][A-Za-z0-9_.-]+", body)
        if found is None:
            return None
        name = found.group().decode()
        self.intent_to(kind, name)
        return name

    def saw_answer(self, method: str, url: str, status: int) -> None:
        """Remember an owned object whose DELETE was answered 2xx or 404 (it may read back absent)."""
        from flowise_conformance.proof import written_object

        if method.upper() == "DELETE" and (200 <= status < 300 or status == 404):
            found = written_object("DELETE", self.api_path(url))
            if found is not None:
                with self._lock:
                    self.deleted_ids.add(found[1])

    def journal_answer(self, kind: str, status: int, body: bytes, intent: str | None = None) -> None:
        """A 2xx create answer's id is journaled; a 4xx answer closes the intent: nothing was created.

        An id that existed before the run, or that cannot be one path segment, is not journaled
        (a server defect, noted in ``defects``): the intent stays open, and the sweep looks for
        the object by its name.
        """
        if 400 <= status < 500 and intent and self.resolved_to is not None:
            self.resolved_to(intent)
            return
        if not 200 <= status < 300 or len(body) > MAX_JOURNAL_BODY:
            return
        import json

        from flowise_conformance.ids import UnsafeId, segment

        try:
            data = json.loads(body)
        except ValueError:
            return
        if not (isinstance(data, dict) and isinstance(data.get("id"), str) and self.journal_to):
            return
        obj_id = data["id"]
        try:
            segment(obj_id)
        except UnsafeId:
            self.defects.append(f"a {kind} create answered the id {obj_id!r:.80}, which cannot go into a URL")
            return
        if obj_id in self.foreign:
            self.defects.append(f"a {kind} create answered the id {obj_id} of an object that existed before the run")
            return
        self.created_ids.add(obj_id)
        name = intent or (data.get("name") if isinstance(data.get("name"), str) else None)
        self.journal_to(kind, obj_id, name)


_GUARD: Guard | None = None


def guard() -> Guard | None:
    """The active guard of this process (None outside a suites session)."""
    return _GUARD


def allow_origin(url: str) -> None:
    """Let the run talk to another origin, e.g. a loopback server a test starts itself."""
    if _GUARD is not None:
        _GUARD.allow_origin(url)


# ---------------------------------------------------------------- transport patches


class _Collector:
    """Keeps a create's answer (up to MAX_JOURNAL_BODY) and journals the object when it is complete."""

    def __init__(self, on_complete: Callable[[bytes], None], decode: Callable[[bytes], bytes]) -> None:
        self._on_complete = on_complete
        self._decode = decode
        self._chunks: list[bytes] | None = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._chunks is not None and self._size <= MAX_JOURNAL_BODY:
            self._chunks.append(chunk)

    def done(self) -> None:
        if self._chunks is not None and self._size <= MAX_JOURNAL_BODY:
            try:
                self._on_complete(self._decode(b"".join(self._chunks)))
            except Exception:  # noqa: BLE001 - a garbled answer creates nothing we can name
                pass
        self._chunks = None


class _JournalingStream(httpx.SyncByteStream):
    """Passes a create's answer through unchanged; journals the object once the body is read."""

    def __init__(self, inner: httpx.SyncByteStream, collector: _Collector) -> None:
        self._inner = inner
        self._collector = collector

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._collector.feed(chunk)
            yield chunk
        self._collector.done()

    def close(self) -> None:
        self._inner.close()


class _AsyncJournalingStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, collector: _Collector) -> None:
        self._inner = inner
        self._collector = collector

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._collector.feed(chunk)
            yield chunk
        self._collector.done()

    async def aclose(self) -> None:
        await self._inner.aclose()


def _httpx_decoder(headers: Any) -> Callable[[bytes], bytes]:
    """Undo the answer's Content-Encoding, each layer capped at MAX_JOURNAL_BODY (a gzip bomb names nothing)."""
    def decode(raw: bytes) -> bytes:
        return LayeredDecoder(headers.get("content-encoding"), MAX_JOURNAL_BODY).decode(raw)

    return decode


def _httpx_body(request: Any) -> bytes | None:
    try:
        return request.content
    except httpx.RequestNotRead:  # a streamed body: its name cannot be read without consuming it
        return None


def _cap_httpx_timeout(g: Guard, request: Any) -> None:
    remaining = g.remaining()
    if remaining is None:
        return
    current = dict(request.extensions.get("timeout") or {})
    request.extensions["timeout"] = {k: min(v, remaining) if v else remaining
                                     for k, v in {**dict.fromkeys(("connect", "read", "write", "pool")), **current}.items()}


def _before_httpx(g: Guard, request: Any) -> tuple[str | None, str | None]:
    """Check the request, bound its timeout, journal a create's intent: (created kind, intent name)."""
    g.check(request.method, str(request.url))
    _cap_httpx_timeout(g, request)
    kind = g.created_kind(request.method, str(request.url))
    return kind, g.intent(kind, _httpx_body(request)) if kind else None


def _after_httpx(g: Guard, request: Any, response: Any, kind: str | None, intent: str | None,
                 stream_type: type) -> Any:
    """Journal a create once its answer is read (``stream_type`` wraps the body)."""
    g.saw_answer(request.method, str(request.url), response.status_code)
    if kind:
        status = response.status_code
        response.stream = stream_type(response.stream, _Collector(
            lambda body: g.journal_answer(kind, status, body, intent), _httpx_decoder(response.headers)))
    return response


_originals: dict[str, Any] = {}


def _install_patches() -> None:
    if _originals:
        return
    sync_orig = httpx.HTTPTransport.handle_request
    async_orig = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        g = _GUARD
        if g is None:
            return sync_orig(self, request)
        kind, intent = _before_httpx(g, request)
        return _after_httpx(g, request, sync_orig(self, request), kind, intent, _JournalingStream)

    async def handle_async_request(self: Any, request: Any) -> Any:
        g = _GUARD
        if g is None:
            return await async_orig(self, request)
        kind, intent = _before_httpx(g, request)
        return _after_httpx(g, request, await async_orig(self, request), kind, intent, _AsyncJournalingStream)

    _originals["httpx"] = sync_orig
    _originals["httpx_async"] = async_orig
    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]
    _no_redirects_on_writes()
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return
    req_orig = HTTPAdapter.send

    def send(self: Any, request: Any, stream: bool = False, timeout: Any = None, *args: Any, **kwargs: Any) -> Any:
        g = _GUARD
        if g is None:
            return req_orig(self, request, stream, timeout, *args, **kwargs)
        g.check(request.method or "GET", request.url or "", library="requests")
        remaining = g.remaining()
        if remaining is not None:
            timeout = remaining if timeout is None else (
                tuple(min(t or remaining, remaining) for t in timeout) if isinstance(timeout, tuple)
                else min(timeout, remaining))
        kind = g.created_kind(request.method or "", request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        intent = g.intent(kind, body if isinstance(body, bytes) else None) if kind else None
        response = req_orig(self, request, stream, timeout, *args, **kwargs)
        g.saw_answer(request.method or "", request.url or "", response.status_code)
        if kind and not stream:
            g.journal_answer(kind, response.status_code, response.content, intent)
        return response

    _originals["requests"] = req_orig
    HTTPAdapter.send = send  # type: ignore[method-assign]


def _no_redirects_on_writes() -> None:
    """No client follows a redirect of a POST, PUT, PATCH or DELETE: the 3xx is the answer.

    A 307/308 repeats the write at the new URL, possibly another object of the same target,
    which the check of the first URL never saw. httpx clients and requests sessions (schemathesis,
    its auth checks, the Python SDK) are covered here; Node's fetch in node_fetch_guard.cjs.
    """
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if _GUARD is not None and request.method.upper() in UNSAFE_METHODS:
            kwargs["follow_redirects"] = False
        return sync_send(self, request, *args, **kwargs)

    async def async_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if _GUARD is not None and request.method.upper() in UNSAFE_METHODS:
            kwargs["follow_redirects"] = False
        return await async_send(self, request, *args, **kwargs)

    _originals["httpx_client_send"], _originals["httpx_async_client_send"] = sync_send, async_send
    httpx.Client.send = send  # type: ignore[method-assign]
    httpx.AsyncClient.send = async_send  # type: ignore[method-assign]
    try:
        import requests
    except ImportError:
        return
    session_send = requests.Session.send

    def requests_send(self: Any, request: Any, **kwargs: Any) -> Any:
        if _GUARD is not None and (request.method or "").upper() in UNSAFE_METHODS:
            kwargs["allow_redirects"] = False
        return session_send(self, request, **kwargs)

    _originals["requests_session_send"] = session_send
    requests.Session.send = requests_send  # type: ignore[method-assign]


def _remove_patches() -> None:
    if "httpx_client_send" in _originals:
        httpx.Client.send = _originals.pop("httpx_client_send")  # type: ignore[method-assign]
        httpx.AsyncClient.send = _originals.pop("httpx_async_client_send")  # type: ignore[method-assign]
    if "requests_session_send" in _originals:
        import requests

        requests.Session.send = _originals.pop("requests_session_send")  # type: ignore[method-assign]
    if "httpx" in _originals:
        httpx.HTTPTransport.handle_request = _originals.pop("httpx")  # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request = _originals.pop("httpx_async")  # type: ignore[method-assign]
    if "requests" in _originals:
        from requests.adapters import HTTPAdapter

        HTTPAdapter.send = _originals.pop("requests")  # type: ignore[method-assign]


# ---------------------------------------------------------------- Allure and logging redaction


def _patch_allure() -> None:
    try:
        from allure_commons.logger import AllureFileLogger
    except ImportError:
        return
    if getattr(AllureFileLogger, "_fc_redacting", False):
        return
    import json

    def _report_item(self: Any, item: Any) -> None:
        from attr import asdict

        filename = item.file_pattern.format(prefix=__import__("uuid").uuid4())
        data = redact_any(asdict(item, filter=lambda _, v: v or v is False))
        tmp = self._report_dir / f"{filename}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf8")
        os.replace(tmp, self._report_dir / filename)

    original_data = AllureFileLogger.report_attached_data
    original_file = AllureFileLogger.report_attached_file

    def report_attached_data(self: Any, body: Any, file_name: str) -> None:
        body = redact(body) if isinstance(body, str) else redact_bytes(body) if isinstance(body, bytes) else body
        original_data(self, body=body, file_name=file_name)

    def report_attached_file(self: Any, source: Any, file_name: str) -> None:
        original_file(self, source=source, file_name=file_name)
        scrub_files([self._report_dir / file_name])

    AllureFileLogger._report_item = _report_item  # type: ignore[method-assign]
    # pluggy reads the hookimpl marker from the function: keep it on the replacements
    for name, fn in (("report_attached_data", report_attached_data), ("report_attached_file", report_attached_file)):
        marker = getattr(getattr(AllureFileLogger, name), "allure_impl", None)
        if marker is not None:
            fn.allure_impl = marker  # type: ignore[attr-defined]
        setattr(AllureFileLogger, name, fn)
    AllureFileLogger._fc_redacting = True  # type: ignore[attr-defined]


# at import, before allure-pytest registers its file logger (pluggy binds the methods then);
# redaction with no secret registered changes nothing, so this is inert outside our runs
_patch_allure()

_record_factory: dict[str, Any] = {}


def _install_log_redaction() -> None:
    if _record_factory:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logging's business
            return record
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return record

    _record_factory["previous"] = previous
    logging.setLogRecordFactory(factory)


def _remove_log_redaction() -> None:
    if "previous" in _record_factory:
        logging.setLogRecordFactory(_record_factory.pop("previous"))


# ---------------------------------------------------------------- Ctrl-C


class RunInterrupted(KeyboardInterrupt):
    """The KeyboardInterrupt of a Ctrl-C or SIGTERM, saying so: pytest prints its message and, unlike
    for a plain KeyboardInterrupt, not the line of code the signal happened to land on."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}: the run stopped early, its reports are partial")


class _Interrupts:
    """SIGINT/SIGTERM: the first stops the run (KeyboardInterrupt) and starts the stop budget;
    the second is acknowledged; the third quits at once without cleanup.

    The controller of an xdist run passes the signal on to its workers (a ``kill -INT`` of
    the controller alone must stop them too); a worker stops on the first and ignores the rest.
    """

    def __init__(self) -> None:
        self.count = 0
        self.previous: dict[int, Any] = {}
        self.hint = ""
        self.config: pytest.Config | None = None
        self.worker = False
        self.worker_pids: set[int] = set()
        self.at: float | None = None
        self.signum = signal.SIGINT

    def say(self, text: str) -> None:
        """Write to the real stderr, past pytest's capture."""
        capman = self.config.pluginmanager.get_plugin("capturemanager") if self.config is not None else None
        try:
            if capman is not None:
                with capman.global_and_fixture_disabled():
                    sys.stderr.write(text)
                    sys.stderr.flush()
                return
        except Exception:  # noqa: BLE001 - never let a message stop the stop
            pass
        sys.stderr.write(text)
        sys.stderr.flush()

    def handler(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.at is None:
            self.at = time.monotonic()
            self.signum = signum
        if self.worker:
            if self.count == 1:
                if _GUARD is not None:
                    _GUARD.begin_stop(WORKER_BUDGET)
                raise RunInterrupted(signum)
            return
        if _GUARD is not None:
            _GUARD.begin_stop(CONTROLLER_BUDGET if self.worker_pids else STOP_BUDGET)
        for pid in list(self.worker_pids) if self.count == 1 else []:
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass
        if self.count == 1:
            self.say("\nflowise-conformance: interrupted: stopping, deleting what this run created, "
                     "writing partial reports (within 10 s)\n")
            raise RunInterrupted(signum)
        if self.count == 2:
            self.say("flowise-conformance: still cleaning up; interrupt once more to quit at once\n")
            return
        self.say(f"flowise-conformance: quitting without cleanup; later run: {self.hint}\n")
        os._exit(130)

    def install(self, config: pytest.Config) -> None:
        self.config = config
        self.worker = hasattr(config, "workerinput")
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[sig] = signal.signal(sig, self.handler)
            except (ValueError, OSError):
                pass

    def remove(self) -> None:
        for sig, previous in self.previous.items():
            try:
                signal.signal(sig, previous)
            except (ValueError, OSError, TypeError):
                pass
        self.previous.clear()
        self.config = None
        self.worker_pids.clear()
        self.count = 0
        self.at = None


_INTERRUPTS = _Interrupts()


def signal_received() -> bool:
    """Whether a SIGINT/SIGTERM stopped this run (also when a library swallowed its KeyboardInterrupt)."""
    return _INTERRUPTS.at is not None


# ---------------------------------------------------------------- pytest hooks

_key = pytest.StashKey[dict[str, Any]]()
_CONFIG: dict[str, pytest.Config] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flowise-conformance")
    group.addoption("--read-only", action="store_true", default=False,
                    help="send no state-changing request: tests marked mutating are skipped, and any POST, PUT, "
                         "PATCH or DELETE is refused (the test fails as a harness error)")


def _plugin_state(config: pytest.Config) -> dict[str, Any]:
    from flowise_conformance.pytest_plugin import _state_key

    return config.stash.get(_state_key, {})


class InventoryFailed(HarnessError):
    """The start-of-run list of the target's objects failed: the guard cannot know what is not the run's."""


def _foreign_ids(target: Any) -> frozenset[str]:
    """Ids of what is on the target before the run creates anything (GETs of the collections).

    Raises InventoryFailed when a list the run writes to does not answer 200 with a list (an
    error, a redirect, a timeout): the guard would be blind. A 404/405 is accepted for collections
    the target declares unsupported. The lists of EXTRA_LISTS (API keys, credentials) are best
    effort: no write can reach them (the guard sends writes only to the spec's write operations),
    so whatever they answer does not stop the run.
    """
    from flowise_conformance.client import FlowiseClient
    from flowise_conformance.proof import listed

    best_effort = set(EXTRA_LISTS.values())
    from flowise_conformance.resources import owned

    # a target that declares a resource's capability false may have no such collection (its list may answer 404)
    optional = {r.collection for r in owned().values() if not target.supports(r.capability or r.kind)}
    found: set[str] = set()
    client = FlowiseClient(target)
    try:
        for path in list(collections()) + list(EXTRA_LISTS.values()):
            try:
                response = client.get(path)
            except Exception as exc:  # noqa: BLE001 - a timeout, a reset: the guard cannot know
                if path in best_effort:
                    continue
                raise InventoryFailed(_inventory_line(path, str(exc))) from None
            entries = listed(response)
            if entries is None and path in best_effort:
                continue
            if entries is None and path in optional and response.status_code in (404, 405):
                continue
            if entries is None:
                why = (f"answered {response.status_code}" + (" (a redirect)" if response.is_redirect else "")
                       if response.status_code != 200 else "did not answer a JSON list")
                raise InventoryFailed(_inventory_line(path, why))
            found.update(e["id"] for e in entries if isinstance(e.get("id"), str) and e["id"])
    finally:
        client.close()
    return frozenset(found)


def _inventory_line(path: str, why: str) -> str:
    return (f"cannot list what is on the target before the run: GET {path} {why}; without that list the run "
            "cannot tell the target's objects from its own, so it sends nothing (fix the target, or use --read-only)")


class _XdistHooks:
    def __init__(self, foreign: frozenset[str]) -> None:
        self.foreign = foreign

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["fc_foreign_ids"] = sorted(self.foreign)

    def pytest_testnodeready(self, node: Any) -> None:
        popen = getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None)  # a popen gateway
        pid = getattr(popen, "pid", None)
        if isinstance(pid, int):
            _INTERRUPTS.worker_pids.add(pid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """After an interrupt, wait for the workers only until WORKERS_WAIT after the signal."""
        if _INTERRUPTS.at is None:
            return
        manager = getattr(session.config.pluginmanager.get_plugin("dsession"), "nodemanager", None)
        if manager is not None:
            manager.EXIT_TIMEOUT = max(0.5, _INTERRUPTS.at + WORKERS_WAIT - time.monotonic())


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    global _GUARD
    state = _plugin_state(config)
    if not state.get("active"):
        return
    from flowise_conformance import run_context
    from flowise_conformance.config import ENV_API_KEY
    from flowise_conformance.run import set_current_run

    mine: dict[str, Any] = {"t0": time.time()}
    config.stash[_key] = mine
    _CONFIG["config"] = config
    worker = hasattr(config, "workerinput")
    target = run_context.target(config)
    register_secret(target.api_key)
    register_secret(os.environ.get(ENV_API_KEY))
    if not target.base_url:
        return
    run = state.get("run")  # pytest_plugin's RunScope, on the controller and on each worker
    set_current_run(run)
    read_only = bool(config.getoption("--read-only"))
    if worker:
        foreign = frozenset(config.workerinput.get("fc_foreign_ids", ()))  # type: ignore[attr-defined]
    else:
        if run is not None:
            run.journal.run_started(run.run_id, target.base_url)
        try:
            foreign = frozenset() if read_only else _foreign_ids(target)
        except InventoryFailed as exc:
            # USAGE_ERROR: the CLI answers it with exit 2 (pytest's own 2 means interrupted there)
            pytest.exit(f"flowise-conformance: {redact(str(exc))}", returncode=pytest.ExitCode.USAGE_ERROR)
        if run is not None and foreign:
            run.journal.inventory(sorted(foreign))
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_XdistHooks(foreign), "fc-safety-xdist")
    journal_to = None
    if run is not None:
        from flowise_conformance.tracker import delete_path

        journal = run.journal
        journal_to = lambda kind, obj_id, name: journal.created(kind, obj_id, delete_path(kind, obj_id), name)  # noqa: E731
    reader = None
    if run is not None:
        from flowise_conformance.client import FlowiseClient
        from flowise_conformance.proof import Prover

        reader_client = FlowiseClient(target)
        mine["reader_client"] = reader_client
        reader = Prover(reader_client, run.tag).read
    _GUARD = Guard(target.base_url, read_only=read_only, foreign=foreign, journal_to=journal_to,
                   predict_only=frozenset(target.fixtures.values()),
                   run_prefix=f"fc-{run.tag}-" if run is not None else None,
                   intent_to=run.journal.creating if run is not None else None,
                   resolved_to=run.journal.resolved if run is not None else None,
                   reader=reader)
    _install_patches()
    _guard_node_processes(_GUARD, mine)
    _install_log_redaction()
    if run is not None:
        from flowise_conformance.cleanup import hint

        _INTERRUPTS.hint = hint(run.journal)
    _INTERRUPTS.install(config)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is not None and hasattr(writer, "_file"):
        if not isinstance(writer._file, RedactingStream):
            writer._file = RedactingStream(writer._file)
        writer._file.markup = bool(getattr(writer, "hasmarkup", False))  # its colours kept, a server's escaped
    mine["guard"] = _GUARD
    if not config.pluginmanager.has_plugin("fc-safety-redact"):
        config.pluginmanager.register(_RedactReports(), "fc-safety-redact")


NODE_GUARD = Path(__file__).with_name("node_fetch_guard.cjs")
ENV_NODE_GUARD = "FC_FETCH_GUARD"


def _guard_node_processes(g: Guard, mine: dict[str, Any]) -> None:
    """Node processes the run starts (the JS SDK) get the same rules: NODE_OPTIONS preloads a fetch guard."""
    import json
    import tempfile

    fd, name = tempfile.mkstemp(prefix="fc-fetch-guard-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump({"origins": [f"{s}://{f'[{h}]' if ':' in h else h}:{p}" for s, h, p in g.origins], "readOnly": g.read_only,
                   "foreign": sorted(g.foreign), "predictOnly": sorted(g.predict_only)}, fh)
    mine["node_guard_file"] = name
    mine["env_before"] = {k: os.environ.get(k) for k in ("NODE_OPTIONS", ENV_NODE_GUARD)}
    preload = f'--require "{NODE_GUARD}"'
    os.environ["NODE_OPTIONS"] = f"{os.environ.get('NODE_OPTIONS', '')} {preload}".strip()
    os.environ[ENV_NODE_GUARD] = name


def _unguard_node_processes(mine: dict[str, Any]) -> None:
    for key, value in mine.pop("env_before", {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    name = mine.pop("node_guard_file", None)
    if name:
        Path(name).unlink(missing_ok=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _GUARD
    mine = config.stash.get(_key, None)
    if mine is None:
        return
    _unguard_node_processes(mine)
    if mine.get("reader_client") is not None:
        mine.pop("reader_client").close()
    _scrub(config)
    _INTERRUPTS.remove()
    _remove_patches()
    _remove_log_redaction()
    _GUARD = None
    if _CONFIG.get("config") is config:
        _CONFIG.pop("config")
    from flowise_conformance.run import set_current_run

    set_current_run(None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash.get(_key, None) is None or not config.getoption("--read-only"):
        return
    skip = pytest.mark.skip(reason=READ_ONLY_REASON)
    for item in items:
        # marked, or it uses the tracker (directly or through a fixture): it exists to own created objects
        if item.get_closest_marker("mutating") is not None or "tracker" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    if _GUARD is not None and _CONFIG:
        with _GUARD._lock:
            _GUARD.violations.clear()


def _interrupt_not_swallowed(item: pytest.Item) -> Generator[None, Any, Any]:
    """A Ctrl-C that a library inside the test turned into another error is still the interrupt: the run stops
    there and the test is not failed by it. (Hypothesis, replaying a stateful fuzz run that the interrupt cut,
    raised FlakyStrategyDefinition: the item failed and the next one ran.)"""
    try:
        return (yield)
    except KeyboardInterrupt:
        raise
    except BaseException:
        if signal_received() and item.config.stash.get(_key, None) is not None:
            raise RunInterrupted(_INTERRUPTS.signum) from None
        raise


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    return (yield from _interrupt_not_swallowed(item))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _interrupt_not_swallowed(item))


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if item.config.stash.get(_key, None) is None:
        return
    if _GUARD is not None and _GUARD.violations:
        with _GUARD._lock:
            found, _GUARD.violations[:] = list(_GUARD.violations), []
        message = "harness error: the safety guard refused to send:\n" + "\n".join(f"  {v}" for v in found)
        report.longrepr = redact(message)
        from flowise_conformance.plugins import harness  # imported here: pytest registers (and rewrites) it later

        harness.mark(report, found[0])
    redact_report(report)


def redact_report(report: pytest.TestReport) -> None:
    """The key out of everything a report carries: sections, longrepr, properties, xfail reason."""
    report.sections = [(redact(name), redact(text)) for name, text in report.sections]
    if isinstance(report.longrepr, tuple):
        report.longrepr = redact_any(report.longrepr)
    elif isinstance(report.longrepr, str):
        report.longrepr = redact(report.longrepr)
    elif report.longrepr is not None:
        text = str(report.longrepr)
        if redact(text) != text:
            report.longrepr = redact(text)
    report.user_properties = [redact_any(p) for p in report.user_properties]
    if hasattr(report, "wasxfail"):
        report.wasxfail = redact(str(report.wasxfail))


class _RedactReports:
    """First to see each report (controller included, for xdist): junit, terminal and summary get it clean."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        redact_report(report)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):  # noqa: ANN201
    yield
    _scrub(session.config)


def _scrub(config: pytest.Config) -> None:
    """Redact the key from every report file this run wrote (junit, summary, Allure, HTML, ...)."""
    mine = config.stash.get(_key, None)
    if mine is None or hasattr(config, "workerinput"):
        return
    roots: list[Path] = []
    run = _plugin_state(config).get("run")
    if run is not None:
        roots.append(run.run_dir)
    for option in ("xmlpath", "allure_report_dir", "htmlpath"):
        value = getattr(config.option, option, None)
        if value:
            roots.append(Path(value))
    scrub_files(roots, since=mine["t0"])


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(_key, None) is None or hasattr(config, "workerinput"):
        return
    if config.getoption("--read-only"):
        skipped = sum(1 for r in terminalreporter.stats.get("skipped", [])
                      if isinstance(r.longrepr, tuple) and READ_ONLY_REASON in str(r.longrepr[2]))
        terminalreporter.write_line(f"read-only mode: {skipped} state-changing test(s) skipped; "
                                    "no POST, PUT, PATCH or DELETE was sent")
