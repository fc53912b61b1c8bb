"""Per-chatflow rate limit on predictions, configured by the chatflow's ``apiConfig``.

``apiConfig`` is JSON text; its ``rateLimit`` is ``{status, limitMax, limitDuration, limitMsg}``
(numbers or numeric strings, duration in seconds). The limit applies when ``status`` is true
and all three values are set, from the moment the chatflow holds that config (a PUT installs
or removes it at once). Like Flowise: a fixed window that opens with the first request, counted
per chatflow and client address, and past ``limitMax`` requests a 429 whose Error envelope
carries ``limitMsg`` and whose ``Retry-After`` gives the seconds left in the window.
"""
from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from flowise_conformance.reference.faults import fault

NO_429 = fault(
    "no-429",
    "The chatflow's rate limit (apiConfig.rateLimit) is ignored: requests past it are answered.",
    caught_by=["contracts/test_rate_limit.py::test_requests_past_the_limit_get_429"],
)
BAD_RETRY_AFTER = fault(
    "retry-after-invalid",
    "The 429 carries a Retry-After that is not a number of seconds.",
    caught_by=["contracts/test_rate_limit.py::test_429_retry_after_is_valid"],
)

_lock = threading.Lock()


def limit_of(flow: dict[str, Any]) -> tuple[int, float, str] | None:
    """(max requests, window seconds, message) when the chatflow's apiConfig installs a limit."""
    raw = flow.get("apiConfig")
    try:
        config = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw
    except ValueError:
        return None
    limit = config.get("rateLimit") if isinstance(config, dict) else None
    if not isinstance(limit, dict) or limit.get("status") is not True:
        return None
    try:
        count, window = int(limit.get("limitMax")), float(limit.get("limitDuration"))
    except (TypeError, ValueError):
        return None
    message = limit.get("limitMsg")
    if count <= 0 or window <= 0 or not isinstance(message, str) or not message:
        return None
    return count, window, message


def check(request: Request, flow: dict[str, Any]) -> Response | None:
    """None when the request may go on, else the 429 answer."""
    limit = limit_of(flow)
    if limit is None or NO_429.on(request):
        return None
    count, window, message = limit
    state = request.app.state
    with _lock:
        windows = getattr(state, "fc_rate_windows", None)
        if windows is None:
            windows = state.fc_rate_windows = {}
        key = (flow["id"], request.client.host if request.client else "-", count, window)
        now = time.monotonic()
        opened, used = windows.get(key, (now, 0))
        if now - opened >= window:
            opened, used = now, 0
        used += 1
        windows[key] = (opened, used)
    if used <= count:
        return None
    from flowise_conformance.reference.app import render_error

    response = render_error(request, 429, message, state.settings)
    left = max(0, math.ceil(opened + window - now))
    response.headers["Retry-After"] = "soon" if BAD_RETRY_AFTER.on(request) else str(left)
    return response
