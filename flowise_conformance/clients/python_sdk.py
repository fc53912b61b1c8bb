"""The Python SDK (PyPI ``flowise``, 1.0.x) driven in-process, with bounds it does not have itself.

``Flowise(base_url, api_key).create_prediction(PredictionData(...))`` is a generator: it first
sends ``GET /api/v1/chatflows-streaming/{id}`` (no key), then ``POST /api/v1/prediction/{id}``;
streamed, it yields the text after each ``data:`` line; otherwise it yields the JSON answer once.
It calls ``requests.get``/``requests.post`` without any timeout, so:

- the SDK module's ``requests`` is replaced by a stand-in that makes the same calls with the
  target's (connect, read) timeouts and remembers the responses of the running call;
- each call runs in a daemon worker thread joined for at most ``deadline`` seconds; past it the
  call is reported as a timeout and its open responses are shut down, so the thread ends too.
"""
from __future__ import annotations

from flowise_conformance.client import HEALTH

import socket
import threading
import time
from typing import Any

from flowise_conformance.clients import RAISED, RETURNED, TIMEOUT, SdkCall, SdkUnavailable

DIST = "flowise"
SUPPORTED = ("1.0.",)  # the pinned series (pyproject: optional dependency group "clients")

_local = threading.local()


def installed_version() -> str:
    """The installed SDK's version, or SdkUnavailable saying why it cannot be used."""
    from importlib import metadata

    try:
        version = metadata.version(DIST)
    except metadata.PackageNotFoundError:
        raise SdkUnavailable(
            "the Python SDK 'flowise' is not installed: pip install 'flowise-conformance[clients]'") from None
    if not version.startswith(SUPPORTED):
        raise SdkUnavailable(f"the Python SDK 'flowise' {version} is installed; the client suite drives 1.0.x")
    return version


class _Bounded:
    """Stands in for the ``requests`` module inside the SDK: the same calls, with timeouts."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._call("get", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._call("post", url, **kwargs)

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        run = getattr(_local, "run", None)
        if run is not None:
            kwargs.setdefault("timeout", run["timeout"])
        response = getattr(self._real, method)(url, **kwargs)
        if run is not None:
            run["responses"].append(response)
        return response


def _install_bounds(module: Any) -> None:
    if not isinstance(module.requests, _Bounded):
        module.requests = _Bounded(module.requests)


def _shut(response: Any) -> None:
    """Best effort: wake a thread blocked reading ``response`` by shutting its socket down."""
    raw = getattr(response, "raw", None)
    candidates = [getattr(getattr(raw, "_connection", None), "sock", None)]
    fp = getattr(getattr(raw, "_fp", None), "fp", None)
    candidates.append(getattr(getattr(fp, "raw", None), "_sock", None))
    for sock in candidates:
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    try:
        response.close()
    except Exception:  # noqa: BLE001 - closing a response another thread reads may fail; it was best effort
        pass


class PythonSdk:
    """One SDK client for the target; ``predict`` never blocks longer than ``deadline`` seconds."""

    name = "python-sdk"

    def __init__(self, base_url: str, api_key: str | None, *, connect: float, read: float, deadline: float) -> None:
        self.version = installed_version()
        import flowise
        import flowise.client

        _install_bounds(flowise.client)
        self._flowise = flowise
        self._client = flowise.Flowise(base_url=base_url, api_key=api_key or None)
        self._timeout = (connect, read)
        self.base_url = base_url
        self.deadline = deadline

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def predict(self, flow_id: str, question: str, *, streaming: bool = False, chat_id: str | None = None,
                uploads: list[dict[str, Any]] | None = None, deadline: float | None = None) -> SdkCall:
        """One ``create_prediction`` call, iterated to its end within ``deadline`` (default: the adapter's)."""
        HEALTH.check(self.base_url)  # a target already given up on is not waited for again
        deadline = deadline or self.deadline
        f = self._flowise
        data = f.PredictionData(
            chatflowId=flow_id, question=question, chatId=chat_id, streaming=streaming,
            uploads=[f.IFileUpload(data=u.get("data"), type=u["type"], name=u["name"], mime=u["mime"])
                     for u in uploads or []] or None,
        )
        seen = SdkCall(sdk=self.label, outcome=TIMEOUT)  # written by the worker thread only
        run: dict[str, Any] = {"timeout": self._timeout, "responses": []}
        done = threading.Event()

        def work() -> None:
            _local.run = run
            try:
                for item in self._client.create_prediction(data):
                    if seen.streamed is None:
                        seen.streamed = isinstance(item, str)
                    seen.yielded.append(item)
                if seen.streamed is False and seen.yielded:
                    seen.value = seen.yielded[0]
                seen.outcome = RETURNED
            except Exception as exc:  # noqa: BLE001 - what the SDK raised is the observation
                seen.outcome = RAISED
                seen.error_type = f"{type(exc).__module__}.{type(exc).__name__}"
                seen.error = str(exc)
                seen.status = getattr(getattr(exc, "response", None), "status_code", None)
            finally:
                _local.run = None
                done.set()

        started = time.monotonic()
        worker = threading.Thread(target=work, name=f"fc-python-sdk-{flow_id[:8]}", daemon=True)
        worker.start()
        finished = done.wait(deadline)
        seconds = time.monotonic() - started
        if finished:
            seen.seconds = seconds
            return seen
        for response in list(run["responses"]):
            _shut(response)
        worker.join(2.0)  # let it end; what it does after the deadline is not the observation
        return SdkCall(sdk=self.label, outcome=TIMEOUT, streamed=seen.streamed, yielded=list(seen.yielded),
                       error_type="Timeout", error=f"the SDK call did not finish within {deadline} s",
                       seconds=seconds)
