"""Before any test: is the base URL reachable, is it a Flowise API, is the key accepted? (bounded to ~5 s)"""
from __future__ import annotations

import json
import time

import httpx

from flowise_conformance.bodies import ACCEPT_ENCODING, BodyError, LayeredDecoder
from flowise_conformance.config import Target
from flowise_conformance.errors import TargetUnreachable, UsageError

BUDGET = 3.0  # seconds for the whole probe, so a dead target fails in under 5 s (start-up included)
AUTH_PATH = "/api/v1/chatflows"  # one protected read: a refused key ends the run here, not in every test
AUTH_MIN = 0.5  # seconds the key check gets at least, whatever the ping took


SMALL = 4096
INFLATED = 1 << 20  # the most one Content-Encoding layer of a probe's answer may inflate to


def _get_small(http: httpx.Client, url: str, headers: dict[str, str], timeout: float | None = None) -> tuple[str, int]:
    """GET reading at most SMALL bytes within the budget: a probe must not be fed a 1 GB body.

    The body is read raw and decoded here, each Content-Encoding layer capped at INFLATED
    (bodies.py): httpx would inflate a few KB of ``gzip, gzip`` to 1 GB at once.
    """
    deadline = time.monotonic() + (timeout or BUDGET)
    kwargs = {"timeout": timeout} if timeout else {}
    with http.stream("GET", url, headers={"Accept-Encoding": ACCEPT_ENCODING, **headers}, **kwargs) as response:
        decoder = LayeredDecoder(response.headers.get("content-encoding"), INFLATED)
        data = b""
        for chunk in response.iter_raw():
            data += decoder.decode(chunk)
            if len(data) >= SMALL or time.monotonic() > deadline:
                break
        return data[:SMALL].decode("utf-8", "replace"), response.status_code


def probe(target: Target) -> str | None:
    """Raise TargetUnreachable (UsageError for a refused key) with one clear line, else return the server version."""
    url = f"{target.base_url}/api/v1/ping"
    headers = {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}
    timeout = httpx.Timeout(BUDGET, connect=min(target.timeouts.connect, BUDGET))
    deadline = time.monotonic() + BUDGET
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as http:
            try:
                body, status = _get_small(http, url, headers)
            except BodyError as exc:
                raise TargetUnreachable(f"{target.base_url} is not a Flowise API: the answer to GET /api/v1/ping {exc}, "
                                        "expected 200 'pong'") from None
            if status != 200 or body.strip() != "pong":
                raise TargetUnreachable(
                    f"{target.base_url} is not a Flowise API: GET /api/v1/ping answered "
                    f"{status} {body[:120]!r}, expected 200 'pong'"
                )
            _check_key(http, target, headers, max(AUTH_MIN, deadline - time.monotonic()))
            try:
                text, status = _get_small(http, f"{target.base_url}/api/v1/version", headers, timeout=2.0)
                data = json.loads(text) if status == 200 else None
                return data.get("version") if isinstance(data, dict) else None
            except (httpx.HTTPError, ValueError, BodyError):
                return None
    except httpx.ConnectError as exc:
        raise TargetUnreachable(f"cannot reach {target.base_url}: connection failed ({exc})") from None
    except httpx.TimeoutException:
        raise TargetUnreachable(f"cannot reach {target.base_url}: no answer to GET /api/v1/ping within {BUDGET:.0f} s") from None
    except httpx.HTTPError as exc:
        raise TargetUnreachable(f"cannot reach {target.base_url}: {type(exc).__name__}: {exc}") from None


def _check_key(http: httpx.Client, target: Target, headers: dict[str, str], timeout: float) -> None:
    """One protected read with the key: 401/403 is a configuration error. No answer in time proves nothing."""
    try:
        _, status = _get_small(http, f"{target.base_url}{AUTH_PATH}", headers, timeout=timeout)
    except httpx.HTTPError:
        return  # the tests will show what a slow or broken list does
    if status in (401, 403):
        given = "the API key given was refused" if target.api_key else "no API key was given"
        raise UsageError(f"{target.base_url}: {given}: GET {AUTH_PATH} answered {status} "
                         "(set FLOWISE_API_KEY, --api-key or the target file's api_key)")
