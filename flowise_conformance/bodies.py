"""Read an HTTP body within a size cap and a deadline, undoing its Content-Encoding layer by layer.

httpx and urllib3 inflate a whole chunk at once: 2 KB of ``Content-Encoding: gzip, gzip``
become 1 MB after the outer layer and 1 GB after the inner one, before any size check can
run. Here every layer inflates at most STEP bytes per call (zlib's ``max_length``) and counts
what it produced, so a body stops at the first layer whose output passes the cap, having
held at most the cap plus a few STEP-sized pieces. Own code, because neither library exposes
a per-layer output bound. gzip and deflate are undone (what our clients ask for:
ACCEPT_ENCODING); identity and codings without a decoder pass through unchanged, as httpx
does when brotli or zstandard is not installed.

    LayeredDecoder(content_encoding, limit)    .decode(raw) -> bytes; raises BodyTooLarge / BodyUndecodable
    read_body(chunks, content_encoding, ...)   the whole decoded body within limit and deadline
    keep_body(response, body) / kept_body(response)   a body read here, kept on an httpx or requests
                                               response as its own read would have (the one place
                                               that touches their private ``_content``)
"""
from __future__ import annotations

import time
import zlib
from typing import Callable, Iterable, Iterator

ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024  # the most one layer inflates per call


def keep_body(response: object, body: bytes) -> None:
    """Private API adapter: store ``body`` where httpx's ``Response.read()`` / requests' ``.content`` would.

    Then ``.content``, ``.text`` and ``.json()`` answer from it (tests/test_safety_units.py fails when
    either library changes where it keeps a read body).
    """
    response._content = body  # type: ignore[attr-defined]
    if hasattr(response, "_content_consumed"):  # requests
        response._content_consumed = True  # type: ignore[attr-defined]


def kept_body(response: object) -> bytes | None:
    """The body an earlier reader kept on an httpx response (keep_body or its own read), else None."""
    body = getattr(response, "_content", None)
    return body if isinstance(body, bytes) else None


class BodyError(Exception):
    """The body cannot be read within its bounds. The message continues "the answer to GET /x ...":
    "is larger than N bytes ...", "took longer than N s ...", "cannot be decoded: ..."."""


class BodyTooLarge(BodyError):
    pass


class BodyTooSlow(BodyError):
    pass


class BodyUndecodable(BodyError):
    pass


class _Inflate:
    """One gzip or deflate layer with bounded output per call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._raw_fallback = coding == "deflate"  # "deflate" is zlib-wrapped, but some servers send it raw
        self._d = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)
        self._seen = b""  # deflate only: the input so far, until the first output proves the wrapping

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if self._raw_fallback:
            self._seen += data
        out = b""
        while data or len(out) == STEP:
            if self._d.eof:
                return  # what follows the end of the stream is ignored, as httpx and urllib3 do
            try:
                out = self._d.decompress(data, STEP)
            except zlib.error as exc:
                if self._raw_fallback:
                    self._raw_fallback = False
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    data, self._seen = self._seen, b""
                    out = b""
                    continue
                raise BodyUndecodable(f"cannot be decoded: its {self.coding} layer is broken ({exc})") from None
            data = self._d.unconsumed_tail
            if out:
                if self._raw_fallback:
                    self._raw_fallback, self._seen = False, b""
                yield out


_DECODERS: dict[str, Callable[[str], _Inflate]] = {"gzip": _Inflate, "x-gzip": _Inflate, "deflate": _Inflate}


class LayeredDecoder:
    """Undoes a Content-Encoding (``"gzip, gzip"``: the last coding applied is undone first), each layer capped."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        self.codings = [c for c in codings if c in _DECODERS]
        self.layers = [_DECODERS[c](c) for c in reversed(self.codings)]
        self.limit = limit
        self.produced = [0] * len(self.layers)

    def decode(self, raw: bytes) -> bytes:
        """The decoded bytes that `raw` completes; raises BodyTooLarge once any layer passes the limit."""
        return b"".join(self._through(0, raw)) if raw else b""

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.layers):
            yield data
            return
        for piece in self.layers[index].pieces(data):
            self.produced[index] += len(piece)
            if self.produced[index] > self.limit:
                raise BodyTooLarge(
                    f"is larger than {self.limit} bytes after undoing {self.layers[index].coding} "
                    f"(layer {index + 1} of Content-Encoding: {', '.join(self.codings)})"
                )
            yield from self._through(index + 1, piece)


def read_body(chunks: Iterable[bytes], content_encoding: str | None, *, limit: int, deadline: float,
              seconds: float, clock: Callable[[], float] = time.monotonic) -> bytes:
    """Join `chunks` (raw, as received) decoded, within `limit` bytes (raw and per layer) and `deadline`.

    The clock is read after every chunk, so the wait can pass the deadline by one read timeout
    of the transport at most; `seconds` is the allowance named in the message.
    """
    decoder = LayeredDecoder(content_encoding, limit)
    out: list[bytes] = []
    size = received = 0
    for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(f"is larger than {limit} bytes")
        piece = decoder.decode(chunk)
        size += len(piece)
        if size > limit:
            raise BodyTooLarge(f"is larger than {limit} bytes")
        out.append(piece)
        if clock() > deadline:
            raise BodyTooSlow(f"took longer than {seconds:.0f} s ({received} bytes so far)")
    return b"".join(out)


def media_type(content_type: str | None) -> str:
    """A Content-Type's media type, lower case, without its parameters (``charset``, ``boundary``)."""
    return (content_type or "").split(";", 1)[0].strip().lower()
