"""A requests session for schemathesis with the same bounds as our own client.

requests reads a whole body with only a per-read timeout and inflates each chunk whole, so
a server that trickles one byte per second, sends 1 GB, or sends a few KB of gzip that
inflate to 1 GB would hang the fuzz suite or exhaust memory. This session reads every body
as it arrives (``read1``: what one socket read returns, so the clock is checked between
reads) within the target's request deadline, counted from the moment the request is sent,
and undoes its Content-Encoding with the client's size cap on every layer
(flowise_conformance/bodies.py), whether or not the caller asked for a stream (schemathesis
always does, then reads ``.content``). Only an event stream is left to the caller, behind
the same deadline and size cap (_BoundedEvents). It never follows redirects and shares the client's give-up
rules (client.HEALTH).
"""
from __future__ import annotations

import time
from typing import Any, Iterator

import requests
import urllib3

from flowise_conformance.bodies import ACCEPT_ENCODING, BodyError, keep_body, media_type, read_body
from flowise_conformance.client import HEALTH, MAX_BODY, TargetMisbehaved

READ_SIZE = 65536


class BoundedSession(requests.Session):
    def __init__(self, origin: str, request_timeout: float) -> None:
        super().__init__()
        self.origin = origin
        self.request_timeout = request_timeout
        self.max_redirects = 0
        self.headers["Accept-Encoding"] = ACCEPT_ENCODING

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        HEALTH.check(self.origin)
        wants_stream = kwargs.pop("stream", False)
        kwargs["allow_redirects"] = False
        where = f"{request.method} {request.url}"
        started = time.monotonic()
        try:
            response = super().send(request, stream=True, **kwargs)
            if wants_stream and _is_event_stream(response):
                response.raw = _BoundedEvents(response.raw, started + self.request_timeout)  # type: ignore[assignment]
            else:  # schemathesis asks for every answer as a stream, then reads .content whole
                self._read_bounded(response, where, started + self.request_timeout)
        except TargetMisbehaved as exc:
            HEALTH.failed(self.origin, str(exc), time.monotonic() - started)
            raise
        except requests.RequestException as exc:
            reason = f"{where} failed at the transport level: {type(exc).__name__}: {exc}"
            if not (isinstance(exc, requests.Timeout) and _asks_for_a_stream(request)):
                HEALTH.failed(self.origin, reason, time.monotonic() - started)
            # else: no strike and no time lost. A streamed prediction that fails before its first
            # event is never answered by Flowise 3.1.4 (a known deviation): that request fails on
            # its timeout, but the server is alive, and giving up on it would error every later fuzz item.
            raise TargetMisbehaved(reason) from None
        HEALTH.ok(self.origin)
        return response

    def _read_bounded(self, response: requests.Response, where: str, deadline: float) -> None:
        try:
            content = read_body(_raw_chunks(response), response.headers.get("content-encoding"), limit=MAX_BODY,
                                deadline=deadline, seconds=self.request_timeout)
        except BodyError as exc:
            raise TargetMisbehaved(f"the answer to {where} {exc}") from None
        finally:
            response.close()
        keep_body(response, content)


def _is_event_stream(response: requests.Response) -> bool:
    return media_type(response.headers.get("content-type")) == "text/event-stream"


class _BoundedEvents:
    """An event stream's urllib3 body whose ``read1`` stops at the request deadline and at MAX_BODY.

    schemathesis reads event streams itself (``raw.read1``, until its deadline or enough
    events); past our deadline this says "timed out" (schemathesis keeps the events read so
    far) and past MAX_BODY bytes the stream is broken, so one endless line cannot fill memory.
    """

    def __init__(self, raw: Any, deadline: float) -> None:
        self._raw = raw
        self._deadline = deadline
        self._size = 0

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        if time.monotonic() >= self._deadline:
            raise urllib3.exceptions.ReadTimeoutError(None, "", "the request deadline passed")  # type: ignore[arg-type]
        chunk = self._raw.read1(amt, decode_content=decode_content)
        self._size += len(chunk)
        if self._size > MAX_BODY:
            raise urllib3.exceptions.ProtocolError(f"the event stream is larger than {MAX_BODY} bytes")
        return chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _raw_chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as received (dechunked, not decoded), one socket read at a time.

    urllib3's errors become the requests errors that ``iter_content`` would raise.
    """
    while True:
        try:
            chunk = response.raw.read1(READ_SIZE, decode_content=False)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ReadTimeout(exc) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.ConnectionError(exc) from None
        if not chunk:
            return
        yield chunk


def _asks_for_a_stream(request: requests.PreparedRequest) -> bool:
    """A JSON body with "streaming": true, or a form field streaming=true."""
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or len(body) > 1 << 20:
        return False
    compact = body.replace(b" ", b"")
    return b'"streaming":true' in compact or b'name="streaming"\r\n\r\ntrue' in body
