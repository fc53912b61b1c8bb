"""The guard: the one decision on every request a run sends, and the journal of its creates.

``Guard.check`` says whether a request may leave (the target's origin only, nothing
state-changing in read-only mode, nothing written to an object that existed before the run,
writes only to the spec's write operations and to objects proven the run's, nothing once the
stop budget after an interrupt is spent). ``intent``/``journal_answer`` journal a create before
it is sent and once its answer is read. The transport patches (transport.py) call it; this
module sends nothing and patches nothing.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

import httpx

from flowise_conformance.spec_model import STATE_CHANGING
from flowise_conformance.errors import HarnessError

UNSAFE_METHODS = STATE_CHANGING  # the spec model's: one list of the methods that write
# Seconds from Ctrl-C to the last request of the cleanup (what is left of 10 s: reports and exit).
STOP_BUDGET = 5.0  # a run without xdist workers
WORKER_BUDGET = 3.5  # an xdist worker's own teardown
WORKERS_WAIT = 4.5  # the controller waits this long for its workers to end, then they are killed
CONTROLLER_BUDGET = 6.0  # the controller's sweep after its workers
MAX_JOURNAL_BODY = 1 << 20  # a create answer bigger than this is not parsed for its id
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SafetyRefused(HarnessError):
    """The run's safety guard refused to send a request (it never left this process)."""


def _stop_error(message: str, library: str) -> Exception:
    """The exception a refused request raises after the stop budget: the library's transport error."""
    if library == "requests":
        import requests

        return requests.exceptions.ConnectionError(message)
    return httpx.ConnectError(message)


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


def collections() -> dict[str, str]:
    """Collection path -> kind of the owned resources (resources.owned(): ``/api/v1/tools`` -> ``tool``)."""
    from flowise_conformance.resources import owned

    return {resource.collection: kind for kind, resource in owned().items()}


@dataclass
class Guard:
    base_url: str
    read_only: bool = False
    foreign: frozenset[str] = frozenset()
    journal_to: Callable[[str, str, str | None], None] | None = None
    origins: set[tuple[str, str, int]] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    stop_deadline: float | None = None
    # chatflows the target file offers (fixtures): predictions on them are allowed, nothing else
    predict_only: frozenset[str] = frozenset()
    run_prefix: str | None = None  # fc-<tag>-: names the run gives its objects
    intent_to: Callable[[str, str], None] | None = None  # journals a create about to be sent
    resolved_to: Callable[[str], None] | None = None  # journals a create intent as not created (4xx)
    # reads an object back (proof.Prover.read): a PUT/DELETE goes only to what carries the run's name
    reader: Callable[[str, str], Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        from flowise_conformance.proof import write_operations

        self.origins.add(origin_of(self.base_url))
        self.base_path = urlsplit(self.base_url).path.rstrip("/")
        self.creates = collections()
        self.writes = write_operations()
        self.created_ids: set[str] = set()  # ids this process journaled from create answers
        self.deleted_ids: set[str] = set()  # ids whose DELETE this process saw answered 2xx or 404
        self.defects: list[str] = []  # create answers the run could not take as its own objects

    # -- decisions
    def api_path(self, url: str) -> str:
        path = urlsplit(url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):]
        return path.rstrip("/") or "/"

    def refuse(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)
        raise SafetyRefused(message)

    def check(self, method: str, url: str, library: str = "httpx") -> None:
        method = method.upper()
        if self.stop_deadline is not None and time.monotonic() >= self.stop_deadline:
            raise _stop_error(f"not sent: stopping after an interrupt, the {STOP_BUDGET:.0f} s budget is spent "
                              f"({method} {url})", library)
        if origin_of(url) not in self.origins:
            self.refuse(f"refused {method} {url}: the run sends requests to the target "
                        f"{self.base_url} only (a redirect elsewhere is never followed)")
        if method not in UNSAFE_METHODS:
            return
        if self.read_only:
            self.refuse(f"refused {method} {self.api_path(url)}: read-only mode sends no state-changing request; "
                        "mark the test @pytest.mark.mutating")
        path = self.api_path(url)
        if not self.is_api_write(method, path):
            self.refuse(f"refused {method} {path}: no state-changing operation of the API has this path (a server "
                        "id with '.', '..' or '/' resolved into another path?); nothing outside them is ever sent")
        if self.foreign:
            named = set(_UUID.findall(path)) | {unquote(s) for s in path.split("/") if s}
            hit = sorted(named & self.foreign)
            if hit and method == "POST" and path.startswith("/api/v1/prediction/") and set(hit) <= self.predict_only:
                return  # the target declares this chatflow usable: a prediction only adds its own chat
            if hit:
                self.refuse(f"refused {method} {path}: {hit[0]} is an object that existed on the target before "
                            "this run; the run never changes or deletes what it did not create")
        self.prove_write(method, path)

    def is_api_write(self, method: str, path: str) -> bool:
        """A state-changing operation of the spec, each parameter one segment that is not a dot segment."""
        if any(unquote(s) in (".", "..") for s in path.split("/")):
            return False
        return any(m == method and pattern.match(path) for m, pattern in self.writes)

    def prove_write(self, method: str, path: str) -> None:
        """A PUT/PATCH/DELETE of an owned kind's object goes out only when it reads back as the run's
        (its name now, or an earlier read-back of this run that showed it: proof.py).

        An object the server says is absent may be written (a not-found check), unless only its list
        says so and the run got its id from a create answer and never deleted it: a hidden object is
        not absent. An id the run made up (a fuzzer's) that no GET can carry is a probe: it is sent
        encoded, as the one segment the spec allows.
        """
        from flowise_conformance.proof import ABSENT, OURS, UNKNOWN, written_object

        found = written_object(method, path) if self.reader is not None else None
        if found is None:
            return
        kind, obj_id = found
        reading = self.reader(kind, obj_id)  # type: ignore[misc]
        made_up = obj_id not in self.created_ids
        if reading.state == OURS or (reading.state == UNKNOWN and reading.how == "id" and made_up):
            return
        if reading.state == ABSENT and (reading.how == "item" or made_up or obj_id in self.deleted_ids):
            return
        why = reading.detail or f"its {kind} list does not show it, though a create of this run answered its id"
        self.refuse(f"refused {method} {path}: cannot prove {kind} {obj_id} is an object of this run ({why}); "
                    "the run changes only what it can prove it created")

    def remaining(self) -> float | None:
        if self.stop_deadline is None:
            return None
        return max(0.05, self.stop_deadline - time.monotonic())

    def begin_stop(self, budget: float = STOP_BUDGET) -> None:
        if self.stop_deadline is None:
            self.stop_deadline = time.monotonic() + budget

    def allow_origin(self, url: str) -> None:
        self.origins.add(origin_of(url))

    # -- the journal
    def created_kind(self, method: str, url: str) -> str | None:
        if method.upper() != "POST" or self.journal_to is None:
            return None
        return self.creates.get(self.api_path(url))

    def intent(self, kind: str, body: bytes | None) -> str | None:
        """Journal a create about to be sent, by the run-unique name in its body (if it has one)."""
        if not body or not self.run_prefix or self.intent_to is None or len(body) > MAX_JOURNAL_BODY:
            return None
        # fc-<tag>- or, where names must be identifiers (tools, variables), fc_<tag>_
        tag = re.escape(self.run_prefix[3:-1]).encode()
        found = re.search(rb"(?<![A-Za-z0-9_.-])fc[-_]" + tag + rb"[-_][A-Za-z0-9_.-]+", body)
        if found is None:
            return None
        name = found.group().decode()
        self.intent_to(kind, name)
        return name

    def saw_answer(self, method: str, url: str, status: int) -> None:
        """Remember an owned object whose DELETE was answered 2xx or 404 (it may read back absent)."""
        from flowise_conformance.proof import written_object

        if method.upper() == "DELETE" and (200 <= status < 300 or status == 404):
            found = written_object("DELETE", self.api_path(url))
            if found is not None:
                with self._lock:
                    self.deleted_ids.add(found[1])

    def journal_answer(self, kind: str, status: int, body: bytes, intent: str | None = None) -> None:
        """A 2xx create answer's id is journaled; a 4xx answer closes the intent: nothing was created.

        An id that existed before the run, or that cannot be one path segment, is not journaled
        (a server defect, noted in ``defects``): the intent stays open, and the sweep looks for
        the object by its name.
        """
        if 400 <= status < 500 and intent and self.resolved_to is not None:
            self.resolved_to(intent)
            return
        if not 200 <= status < 300 or len(body) > MAX_JOURNAL_BODY:
            return
        import json

        from flowise_conformance.ids import UnsafeId, segment

        try:
            data = json.loads(body)
        except ValueError:
            return
        if not (isinstance(data, dict) and isinstance(data.get("id"), str) and self.journal_to):
            return
        obj_id = data["id"]
        try:
            segment(obj_id)
        except UnsafeId:
            self.defects.append(f"a {kind} create answered the id {obj_id!r:.80}, which cannot go into a URL")
            return
        if obj_id in self.foreign:
            self.defects.append(f"a {kind} create answered the id {obj_id} of an object that existed before the run")
            return
        self.created_ids.add(obj_id)
        name = intent or (data.get("name") if isinstance(data.get("name"), str) else None)
        self.journal_to(kind, obj_id, name)


_GUARD: Guard | None = None


def guard() -> Guard | None:
    """The active guard of this process (None outside a suites session)."""
    return _GUARD


def set_guard(active: Guard | None) -> None:
    """Make ``active`` the guard every patched transport asks (None: requests pass unchecked)."""
    global _GUARD
    _GUARD = active


def allow_origin(url: str) -> None:
    """Let the run talk to another origin, e.g. a loopback server a test starts itself."""
    if _GUARD is not None:
        _GUARD.allow_origin(url)
