"""Big request bodies, streamed: the test process never holds one whole.

    json_body(size)                 a JSON object of exactly ``size`` bytes, as chunks
    urlencoded_body(size)           a form body of exactly ``size`` bytes, as chunks
    multipart_body(size, boundary)  a multipart/form-data body (a question and one text file)
                                    of exactly ``size`` bytes, as chunks
    PeakRss                         the test process's peak resident set while a block runs
                                    (Linux: /proc/self/status VmHWM, reset through clear_refs)

Each generator yields the same 1 MiB buffer again and again (plus small head and tail
pieces), so sending 50 MiB costs about 1 MiB of the client's memory. The padding sits in a
field the server does not echo, so an accepted body gets a small answer.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

CHUNK = 1 << 20
_FILL = b"a" * CHUNK
QUESTION = "fc size probe"


def _fill(count: int) -> Iterator[bytes]:
    while count > 0:
        step = min(CHUNK, count)
        yield _FILL if step == CHUNK else _FILL[:step]
        count -= step


def _framed(head: bytes, tail: bytes, size: int) -> Iterator[bytes]:
    filler = size - len(head) - len(tail)
    if filler < 0:
        raise ValueError(f"a body of {size} bytes cannot hold its {len(head) + len(tail)} bytes of framing")
    yield head
    yield from _fill(filler)
    yield tail


def json_body(size: int) -> Iterator[bytes]:
    """``{"question": "fc size probe", "fcPadding": "aaa..."}`` of exactly ``size`` bytes."""
    return _framed(b'{"question":"' + QUESTION.encode() + b'","fcPadding":"', b'"}', size)


def urlencoded_body(size: int) -> Iterator[bytes]:
    """``question=fc+size+probe&fcPadding=aaa...`` of exactly ``size`` bytes."""
    return _framed(b"question=" + QUESTION.replace(" ", "+").encode() + b"&fcPadding=", b"", size)


def multipart_body(size: int, boundary: str) -> Iterator[bytes]:
    """A question field and one ``text/plain`` file in ``files``, exactly ``size`` bytes in all."""
    b = boundary.encode()
    head = (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="question"\r\n\r\n' + QUESTION.encode() + b"\r\n"
        + b"--" + b + b'\r\nContent-Disposition: form-data; name="files"; filename="fc-size.txt"\r\n'
        + b"Content-Type: text/plain\r\n\r\n"
    )
    tail = b"\r\n--" + b + b"--\r\n"
    return _framed(head, tail, size)


def _status_kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


class PeakRss:
    """``with PeakRss() as peak: ...`` then ``peak.peak_mib``, ``peak.before_mib``, ``peak.growth_mib``.

    The kernel's high-water mark is reset at the start (``/proc/self/clear_refs`` = 5), so the
    peak is the block's own. Where that is not possible (not Linux), the figures are None.
    """

    def __enter__(self) -> "PeakRss":
        self.reset = True
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.reset = False
        self.before_kib = _status_kib("VmRSS")
        self.peak_kib: int | None = None
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_kib = _status_kib("VmHWM") if self.reset else None

    @property
    def before_mib(self) -> float | None:
        return None if self.before_kib is None else self.before_kib / 1024

    @property
    def peak_mib(self) -> float | None:
        return None if self.peak_kib is None else self.peak_kib / 1024

    @property
    def growth_mib(self) -> float | None:
        if self.peak_kib is None or self.before_kib is None:
            return None
        return (self.peak_kib - self.before_kib) / 1024

    def describe(self) -> str:
        if self.peak_mib is None:
            return "peak RSS not measurable here"
        return f"peak RSS {self.peak_mib:.1f} MiB ({self.growth_mib:+.1f} MiB over the {self.before_mib:.1f} MiB before)"
