"""Body size limit: JSON bodies over the target's limit are refused with 413."""
from __future__ import annotations

from typing import Iterator

import pytest

from flowise_conformance.checks import expect_error_shape, expect_status

pytestmark = [pytest.mark.resource("limits")]


def _json_body(size: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A valid JSON object of exactly `size` bytes, streamed in chunks (never held whole)."""
    head, tail = b'{"question":"', b'"}'
    filler = size - len(head) - len(tail)
    yield head
    while filler > 0:
        step = min(chunk, filler)
        yield b"a" * step
        filler -= step
    yield tail


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_json_body_over_limit_is_413(api, chatflow, target):
    """A JSON body one byte over the size limit answers 413 with the error shape."""
    size = target.body_limit + 1
    response = api.post(
        f"prediction/{chatflow['id']}",
        content=_json_body(size),
        headers={"Content-Type": "application/json", "Content-Length": str(size)},
    )
    expect_status(response, 413)
    expect_error_shape(response)
