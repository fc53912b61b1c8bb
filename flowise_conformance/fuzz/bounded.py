"""A requests session for schemathesis with the same bounds as our own client.

requests reads a whole body with only a per-read timeout, so a server that trickles one
byte per second or sends 1 GB would hang the fuzz suite or exhaust memory. This session
reads every body within the target's request deadline and the client's size cap, never
follows redirects, and shares the client's give-up rule (client.HEALTH).
"""
from __future__ import annotations

import time
from typing import Any

import requests

from flowise_conformance.client import HEALTH, MAX_BODY, TargetMisbehaved


class BoundedSession(requests.Session):
    def __init__(self, origin: str, request_timeout: float) -> None:
        super().__init__()
        self.origin = origin
        self.request_timeout = request_timeout
        self.max_redirects = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        HEALTH.check(self.origin)
        wants_stream = kwargs.pop("stream", False)
        kwargs["allow_redirects"] = False
        where = f"{request.method} {request.url}"
        try:
            response = super().send(request, stream=True, **kwargs)
            if not wants_stream:
                self._read_bounded(response, where)
        except TargetMisbehaved as exc:
            HEALTH.failed(self.origin, str(exc))
            raise
        except requests.RequestException as exc:
            reason = f"{where} failed at the transport level: {type(exc).__name__}: {exc}"
            if not (isinstance(exc, requests.Timeout) and _asks_for_a_stream(request)):
                HEALTH.failed(self.origin, reason)
            # else: no strike. A streamed prediction that fails before its first event is never
            # answered by Flowise 3.1.4 (a known deviation): that request fails on its timeout,
            # but the server is alive, and giving up on it would error every later fuzz item.
            raise TargetMisbehaved(reason) from None
        HEALTH.ok(self.origin)
        return response

    def _read_bounded(self, response: requests.Response, where: str) -> None:
        deadline = time.monotonic() + self.request_timeout
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > MAX_BODY:
                    raise TargetMisbehaved(f"the answer to {where} is larger than {MAX_BODY} bytes")
                if time.monotonic() > deadline:
                    raise TargetMisbehaved(
                        f"the answer to {where} took longer than {self.request_timeout:.0f} s ({size} bytes so far)"
                    )
                chunks.append(chunk)
        finally:
            response.close()
        response._content = b"".join(chunks)  # what Response.content would have stored
        response._content_consumed = True


def _asks_for_a_stream(request: requests.PreparedRequest) -> bool:
    """A JSON body with "streaming": true, or a form field streaming=true."""
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or len(body) > 1 << 20:
        return False
    compact = body.replace(b" ", b"")
    return b'"streaming":true' in compact or b'name="streaming"\r\n\r\ntrue' in body
