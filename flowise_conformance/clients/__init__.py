"""The official Flowise SDKs as test drivers: what a real client gets from the target.

Two adapters with one interface, ``predict(flow_id, question, streaming=, chat_id=, uploads=) -> SdkCall``:

    python_sdk.PythonSdk   the PyPI package ``flowise`` (1.0.x), in-process; the optional dependency
                           group ``clients``. Its calls run in a worker thread with a bounded join, and
                           the SDK's ``requests`` calls get the target's connect/read timeouts.
    js_sdk.JsSdk           the npm package ``flowise-sdk`` (1.0.x) under the machine's Node, through
                           ``js_runner.cjs``, one subprocess (with a timeout) per call; installed from npm
                           into ``~/.cache/flowise-conformance/js-sdk-<version>`` on first use.

Neither SDK is patched or re-implemented: the adapters only pass data in and record what the
SDK returned, yielded or raised. The API key reaches the Python SDK as a constructor argument
and the Node process through an environment variable; it is never on a command line nor printed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RETURNED = "returned"  # the SDK call finished and gave something back
RAISED = "raised"  # the SDK raised (Python) or rejected (JS)
TIMEOUT = "timeout"  # the call did not finish within its deadline (a hung target)


class SdkUnavailable(Exception):
    """The SDK cannot be used on this machine (not installed, no Node, install failed): skip, never pass."""


@dataclass
class SdkCall:
    """What one SDK prediction call produced, as the SDK's user would see it.

    ``streamed`` tells whether the SDK took its streaming path (the Python SDK yields strings, the
    JS SDK returns an async iterator); ``yielded`` is every item it yielded, in order (Python: the
    raw text after ``data:``; JS: the objects it parsed). ``value`` is the non-streamed result.
    ``status`` is the HTTP status an SDK error carries (Python's ``HTTPError``), when it has one.
    """

    sdk: str
    outcome: str
    streamed: bool | None = None
    value: Any = None
    yielded: list[Any] = field(default_factory=list)
    error: str | None = None
    error_type: str | None = None
    status: int | None = None
    seconds: float = 0.0

    def describe(self) -> str:
        if self.outcome == RETURNED and not self.streamed:
            return f"{self.sdk} returned {_clip(self.value)} in {self.seconds:.2f} s"
        if self.outcome == RETURNED:
            return f"{self.sdk} streamed {len(self.yielded)} item(s) in {self.seconds:.2f} s: {_clip(self.yielded)}"
        status = f" (HTTP {self.status})" if self.status is not None else ""
        after = f" after yielding {len(self.yielded)} item(s): {_clip(self.yielded)}" if self.yielded else ""
        return f"{self.sdk} {self.outcome}{status}: {self.error_type}: {self.error}{after} ({self.seconds:.2f} s)"


def _clip(value: Any, limit: int = 400) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
