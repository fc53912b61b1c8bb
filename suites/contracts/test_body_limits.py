"""Body size limit: a body of exactly the limit is accepted, one byte more is refused with 413.

The limit is the target's ``limits.body_bytes`` (default 50 MiB, Flowise's FLOWISE_FILE_SIZE_LIMIT)
and is inclusive; multipart bodies use ``limits.multipart_bytes`` when the target declares one,
else the same limit (the spec subjects multipart uploads to it), unless the target declares the
capability ``multipart_limit`` unsupported. Bodies go to POST /prediction/{id} of a chatflow the
test owns, padded in a field that is not echoed, and are streamed from generators: the test
process never holds a whole body (see ``PeakRss``: the figure is recorded as the user
property ``peak_rss``). The 413's error shape is checked by the error-shape hook like every error.
"""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect_equal, expect_status
from flowise_conformance.checks.core import ConformanceFailure, describe
from flowise_conformance.checks.limits import PeakRss, json_body, multipart_body, urlencoded_body
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("limits"), pytest.mark.mutating]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _post(api, chatflow, body, content_type, size=None):  # noqa: ANN001, ANN202
    headers = {"Content-Type": content_type}
    if size is not None:
        headers["Content-Length"] = str(size)
    return api.post(item_path("prediction", chatflow['id']), content=body, headers=headers)


def _expect_accepted(response) -> None:  # noqa: ANN001
    if response.status_code == 413:
        raise ConformanceFailure("A body of exactly the size limit was refused",
                                 "any answer but 413 (the limit is the largest accepted size)", describe(response))


def _multipart_limit(target) -> int:  # noqa: ANN001
    return target.multipart_limit or target.body_limit


@pytest.mark.level("MUST")
def test_json_body_at_the_limit_is_accepted(api, chatflow, target):
    """A JSON body of exactly the size limit is not refused with 413."""
    size = target.body_limit
    _expect_accepted(_post(api, chatflow, json_body(size), JSON, size))


@pytest.mark.level("MUST")
def test_json_body_over_the_limit_is_413(api, chatflow, target, request):
    """A JSON body one byte over the size limit answers 413 (streamed: the client's peak RSS is recorded)."""
    size = target.body_limit + 1
    with PeakRss() as peak:
        response = _post(api, chatflow, json_body(size), JSON, size)
    request.node.user_properties.append(("peak_rss", f"sending {size} bytes: {peak.describe()}"))
    expect_status(response, 413, why="a body over the size limit must be refused")


@pytest.mark.level("SHOULD")
def test_urlencoded_body_at_the_limit_is_accepted(api, chatflow, target):
    """An application/x-www-form-urlencoded body of exactly the size limit is not refused with 413."""
    size = target.body_limit
    _expect_accepted(_post(api, chatflow, urlencoded_body(size), FORM, size))


@pytest.mark.level("SHOULD")
def test_urlencoded_body_over_the_limit_is_413(api, chatflow, target):
    """An application/x-www-form-urlencoded body one byte over the size limit answers 413."""
    size = target.body_limit + 1
    expect_status(_post(api, chatflow, urlencoded_body(size), FORM, size), 413,
                  why="a body over the size limit must be refused, whatever its type")


@pytest.mark.level("MUST")
def test_chunked_body_at_the_limit_is_accepted(api, chatflow, target):
    """A JSON body of exactly the size limit sent chunked, without Content-Length, is not refused with 413."""
    _expect_accepted(_post(api, chatflow, json_body(target.body_limit), JSON))


@pytest.mark.level("MUST")
def test_chunked_body_over_the_limit_is_413(api, chatflow, target):
    """A JSON body one byte over the limit sent chunked, without Content-Length, answers 413."""
    expect_status(_post(api, chatflow, json_body(target.body_limit + 1), JSON), 413,
                  why="the limit applies to the bytes received, not only to a declared Content-Length")


@pytest.mark.level("SHOULD")
@pytest.mark.requires("multipart_limit")
def test_multipart_body_at_the_limit_is_accepted(api, chatflow, target):
    """A multipart/form-data prediction of exactly the multipart limit is not refused with 413."""
    size, boundary = _multipart_limit(target), f"fc-{uuid.uuid4().hex}"
    _expect_accepted(_post(api, chatflow, multipart_body(size, boundary), f"multipart/form-data; boundary={boundary}",
                           size))


@pytest.mark.level("SHOULD")
@pytest.mark.requires("multipart_limit")
def test_multipart_body_over_the_limit_is_413(api, chatflow, target):
    """A multipart/form-data prediction one byte over the multipart limit answers 413."""
    size, boundary = _multipart_limit(target) + 1, f"fc-{uuid.uuid4().hex}"
    response = _post(api, chatflow, multipart_body(size, boundary), f"multipart/form-data; boundary={boundary}", size)
    expect_status(response, 413, why="a multipart body over the limit must be refused")


@pytest.mark.level("MUST")
def test_server_answers_ping_after_an_oversized_body(api, anon, chatflow, target):
    """After refusing a chunked body over the limit, the server still answers GET /ping with pong."""
    _post(api, chatflow, json_body(target.body_limit + 1), JSON)
    response = anon.get("ping")
    expect_status(response, 200, why="an oversized body must not break the server")
    expect_equal(response.text.strip(), "pong", "GET /ping does not answer pong", response)
