"""Sending 50 MiB + 1 byte the way the 413 tests do costs the test process almost no memory.

Measured 2026-11-25 (`pytest tests/test_body_streaming_memory.py -s`): peak RSS 76.5 MiB, +0.8 MiB
over the RSS before sending; the suite's own test against the embedded server recorded +0.4 MiB.
The body goes to the embedded reference server, a separate process whose memory is not counted.
"""
from __future__ import annotations

import uuid

from flowise_conformance.checks.limits import PeakRss, json_body
from flowise_conformance.client import FlowiseClient
from flowise_conformance.config import DEFAULT_BODY_LIMIT, Target
from flowise_conformance.embedded import EmbeddedServer

LIMIT_GROWTH_MIB = 16


def test_fifty_mib_plus_one_is_streamed_not_held():
    """POST of limit + 1 bytes from a generator: 413, and the peak RSS grows by less than 16 MiB."""
    size = DEFAULT_BODY_LIMIT + 1
    with EmbeddedServer() as server:
        client = FlowiseClient(Target(base_url=server.base_url, api_key=server.api_key))
        try:
            with PeakRss() as peak:
                response = client.post(f"prediction/{uuid.uuid4()}", content=json_body(size),
                                       headers={"Content-Type": "application/json", "Content-Length": str(size)})
        finally:
            client.close()
    assert response.status_code == 413
    print(f"sending {size} bytes: {peak.describe()}")
    if peak.growth_mib is not None:
        assert peak.growth_mib < LIMIT_GROWTH_MIB, peak.describe()
