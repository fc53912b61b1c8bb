"""The transport patches: every request of httpx (sync and async) and requests passes the guard.

Patched at the lowest level each library has (``HTTPTransport.handle_request``,
``AsyncHTTPTransport.handle_async_request``, ``HTTPAdapter.send``), so a request is checked
just before it would leave whatever client sent it; a create's answer is journaled as soon as
it has been read; no client follows a redirect of a write. ``install_patches`` is called in
pytest_configure and ``remove_patches`` in pytest_unconfigure (plugin.py), never at import.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Iterator

import httpx

from flowise_conformance.bodies import LayeredDecoder
from flowise_conformance.plugins.safety.guard import MAX_JOURNAL_BODY, UNSAFE_METHODS, Guard, guard

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


def install_patches() -> None:
    """Route httpx and requests through the active guard (idempotent; undone by remove_patches)."""
    if _originals:
        return
    sync_orig = httpx.HTTPTransport.handle_request
    async_orig = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        g = guard()
        if g is None:
            return sync_orig(self, request)
        kind, intent = _before_httpx(g, request)
        return _after_httpx(g, request, sync_orig(self, request), kind, intent, _JournalingStream)

    async def handle_async_request(self: Any, request: Any) -> Any:
        g = guard()
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
        g = guard()
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
    sync_send, original_async_send = httpx.Client.send, httpx.AsyncClient.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if guard() is not None and request.method.upper() in UNSAFE_METHODS:
            kwargs["follow_redirects"] = False
        return sync_send(self, request, *args, **kwargs)

    async def async_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if guard() is not None and request.method.upper() in UNSAFE_METHODS:
            kwargs["follow_redirects"] = False
        return await original_async_send(self, request, *args, **kwargs)

    _originals["httpx_client_send"], _originals["httpx_async_client_send"] = sync_send, original_async_send
    httpx.Client.send = send  # type: ignore[method-assign]
    httpx.AsyncClient.send = async_send  # type: ignore[method-assign]
    try:
        import requests
    except ImportError:
        return
    session_send = requests.Session.send

    def requests_send(self: Any, request: Any, **kwargs: Any) -> Any:
        if guard() is not None and (request.method or "").upper() in UNSAFE_METHODS:
            kwargs["allow_redirects"] = False
        return session_send(self, request, **kwargs)

    _originals["requests_session_send"] = session_send
    requests.Session.send = requests_send  # type: ignore[method-assign]


def remove_patches() -> None:
    """Put back what install_patches replaced."""
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

