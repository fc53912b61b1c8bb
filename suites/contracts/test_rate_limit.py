"""Per-chatflow rate limit: requests past apiConfig.rateLimit get 429 with the Error envelope.

Each test sets a limit of LIMIT_MAX requests per WINDOW seconds on a chatflow it owns with
``PUT /chatflows/{id}`` (the spec: a PUT installs it at once; Flowise 3.1.4 applies a limit set
by POST only after a restart), then sends at most LIMIT_MAX + 2 predictions. The limit counts
per chatflow and client, so other tests cannot eat into it; the tests still form one
``xdist_group`` so that ``-n N --dist loadgroup`` runs them one after another on one worker.
A target without rate limits declares the capability ``rate_limit`` unsupported.
"""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from flowise_conformance.checks import expect_status
from flowise_conformance.checks.core import ConformanceFailure, describe
from flowise_conformance.ids import item_path

pytestmark = [
    pytest.mark.resource("rate_limit"),
    pytest.mark.mutating,
    pytest.mark.requires("rate_limit"),
    pytest.mark.xdist_group("serial-rate-limit"),
]

LIMIT_MAX = 2
WINDOW = 60  # seconds
MESSAGE = "fc rate limit reached, slow down"


@pytest.fixture
def limited_chatflow(api, create_chatflow) -> dict[str, Any]:  # noqa: ANN001
    """A chatflow owned by the test whose apiConfig allows LIMIT_MAX predictions per WINDOW seconds."""
    flow = create_chatflow()
    config = {"rateLimit": {"status": True, "limitMax": str(LIMIT_MAX), "limitDuration": str(WINDOW),
                            "limitMsg": MESSAGE}}
    response = api.put(item_path("chatflows", flow['id']), json={"apiConfig": json.dumps(config)})
    expect_status(response, 200, why="setting apiConfig.rateLimit on an owned chatflow must work")
    return flow


def _predict_until_refused(api, flow):  # noqa: ANN001, ANN202
    """Up to LIMIT_MAX + 2 predictions; returns the statuses seen and the first 429 (or None)."""
    statuses = []
    for n in range(LIMIT_MAX + 2):
        response = api.post(item_path("prediction", flow['id']), json={"question": f"rate {n}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            return statuses, response
    return statuses, None


def _refused(api, flow):  # noqa: ANN001, ANN202
    statuses, refused = _predict_until_refused(api, flow)
    if refused is None:
        raise ConformanceFailure("The rate limit was not applied",
                                 f"429 for request {LIMIT_MAX + 1} (limit {LIMIT_MAX} per {WINDOW} s)",
                                 f"statuses {statuses}")
    return refused


@pytest.mark.level("SHOULD")
def test_requests_past_the_limit_get_429(api, limited_chatflow):
    """With a limit of 2 per minute, two predictions are answered and the third gets 429."""
    statuses, _ = _predict_until_refused(api, limited_chatflow)
    expected = [200] * LIMIT_MAX + [429]
    if statuses[: LIMIT_MAX + 1] != expected:
        raise ConformanceFailure("The rate limit is not applied as configured",
                                 f"statuses {expected} (limit {LIMIT_MAX} per {WINDOW} s)", f"statuses {statuses}")


@pytest.mark.level("SHOULD")
def test_429_carries_the_limit_message(api, limited_chatflow):
    """The 429's message is the chatflow's limitMsg (its Error envelope is checked by the error-shape hook)."""
    refused = _refused(api, limited_chatflow)
    try:
        message = refused.json().get("message")
    except (ValueError, AttributeError):
        message = refused.text
    if not isinstance(message, str) or MESSAGE not in message:
        raise ConformanceFailure("The 429 does not say the configured limit message", f"message {MESSAGE!r}",
                                 describe(refused))


@pytest.mark.level("SHOULD")
def test_429_retry_after_is_valid(api, limited_chatflow):
    """When the 429 has Retry-After, it is a whole number of seconds no longer than the window."""
    refused = _refused(api, limited_chatflow)
    value = refused.headers.get("retry-after")
    if value is None:
        pytest.skip("the 429 has no Retry-After header: nothing to check")
    if not re.fullmatch(r"[0-9]+", value.strip()) or not 0 <= int(value) <= WINDOW:
        raise ConformanceFailure("The 429's Retry-After is not valid",
                                 f"Retry-After: <seconds between 0 and {WINDOW}>", f"Retry-After: {value!r}")
