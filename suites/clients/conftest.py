"""Fixtures of the client suite: the official SDKs, pointed at the target, and the flows they talk to."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from flowise_conformance.clients import SdkUnavailable
from flowise_conformance.config import Target

SDKS = ("python-sdk", "js-sdk")
_made: dict[str, Any] = {}  # one adapter per SDK and session; "unavailable: ..." when it cannot run


def _make(name: str, target: Target) -> Any:
    t = target.timeouts
    if name == "python-sdk":
        from flowise_conformance.clients.python_sdk import PythonSdk

        return PythonSdk(target.base_url or "", target.api_key, connect=t.connect, read=t.stream_event,
                         deadline=t.stream_total)
    from flowise_conformance.clients.js_sdk import JsSdk

    return JsSdk(target.base_url or "", target.api_key, deadline=t.stream_total)


@pytest.fixture(scope="session", params=SDKS)
def sdk(request: pytest.FixtureRequest, target: Target) -> Any:
    """An official SDK client for the target (skipped, with the reason, when it cannot run here)."""
    name = request.param
    if name not in _made:
        try:
            _made[name] = _make(name, target)
        except SdkUnavailable as exc:
            _made[name] = f"{name} unavailable: {exc}"
    found = _made[name]
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(params=["own-agentflow", "target-chatflow"])
def stream_flow(request: pytest.FixtureRequest, target: Target, create_chatflow: Callable[..., dict[str, Any]]) -> str:
    """The id of a flow to stream from: one this test creates (LLM-free agentflow), or the target's
    classic chatflow (``[fixtures] chatflow_id`` in the target file: word-by-word tokens), used
    read-only: predictions only."""
    if request.param == "own-agentflow":
        return str(create_chatflow()["id"])
    flow_id = target.fixtures.get("chatflow_id")
    if not flow_id:
        pytest.skip("the target file names no [fixtures] chatflow_id (a streaming classic chatflow)")
    return flow_id
