"""The JavaScript SDK (npm ``flowise-sdk``, 1.0.x) under the machine's Node, one subprocess per call.

The SDK is installed from npm on first use into ``$XDG_CACHE_HOME/flowise-conformance/js-sdk-<version>``
(default ``~/.cache/...``): into a fresh directory next to it, renamed into place when complete, under a
file lock so parallel workers install it once. Node (>= 18: the SDK calls the global ``fetch``) and npm
must be on PATH; when either is missing or the install fails the SDK is unavailable, with the reason.

Each ``predict`` runs ``node js_runner.cjs`` with the call's input on stdin and the API key in the
environment variable ``FC_SDK_API_KEY``; the process is killed past ``deadline`` seconds.
"""
from __future__ import annotations

from flowise_conformance.client import HEALTH

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from flowise_conformance.clients import RAISED, RETURNED, TIMEOUT, SdkCall, SdkUnavailable

PACKAGE = "flowise-sdk"
VERSION = "1.0.9"  # the newest 1.0.x on npm when this was written; the pin is exact
RUNNER = Path(__file__).with_name("js_runner.cjs")
KEY_ENV = "FC_SDK_API_KEY"
MIN_NODE = 18
INSTALL_TIMEOUT = 180.0
PROBE_TIMEOUT = 15.0

_unavailable: dict[str, str] = {}  # cache dir -> why it could not be installed (tried once per process)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowise-conformance"


def sdk_dir(version: str = VERSION) -> Path:
    return cache_root() / f"js-sdk-{version}"


def _installed(where: Path, version: str) -> bool:
    manifest = where / "node_modules" / PACKAGE / "package.json"
    try:
        return json.loads(manifest.read_text()).get("version") == version
    except (OSError, ValueError):
        return False


def node_version() -> int:
    """The major version of ``node`` on PATH, or SdkUnavailable."""
    node = shutil.which("node")
    if node is None:
        raise SdkUnavailable("Node.js is not installed (no 'node' on PATH): the JavaScript SDK cannot run")
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=True)
        major = int(out.stdout.strip().lstrip("v").split(".", 1)[0])
    except (subprocess.SubprocessError, OSError, ValueError) as exc:
        raise SdkUnavailable(f"'node --version' failed: {type(exc).__name__}") from None
    if major < MIN_NODE:
        raise SdkUnavailable(f"Node.js {major} is too old: the JavaScript SDK needs the global fetch of Node >= {MIN_NODE}")
    return major


def ensure_installed(version: str = VERSION, *, timeout: float = INSTALL_TIMEOUT) -> Path:
    """The directory whose node_modules holds flowise-sdk ``version``; installs it from npm if needed."""
    where = sdk_dir(version)
    if _installed(where, version):
        return where
    if str(where) in _unavailable:
        raise SdkUnavailable(_unavailable[str(where)])
    npm = shutil.which("npm")
    if npm is None:
        raise SdkUnavailable("npm is not installed (no 'npm' on PATH): cannot install the JavaScript SDK")
    where.parent.mkdir(parents=True, exist_ok=True)
    with open(where.parent / f".js-sdk-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing it right now
        if _installed(where, version):
            return where
        staging = Path(tempfile.mkdtemp(prefix=f".js-sdk-{version}-", dir=where.parent))
        try:
            (staging / "package.json").write_text(json.dumps({"name": "fc-js-sdk-cache", "private": True}))
            cmd = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock",
                   "--loglevel=error", f"{PACKAGE}@{version}"]
            try:
                proc = subprocess.run(cmd, cwd=staging, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                why = f"installing {PACKAGE}@{version} from npm took longer than {timeout:.0f} s"
                _unavailable[str(where)] = why
                raise SdkUnavailable(why) from None
            if proc.returncode != 0 or not _installed(staging, version):
                last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]
                why = f"'npm install {PACKAGE}@{version}' failed (exit {proc.returncode}): {last}"
                _unavailable[str(where)] = why
                raise SdkUnavailable(why)
            if where.exists():
                shutil.rmtree(where)
            staging.rename(where)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return where


class JsSdk:
    """The JavaScript SDK for the target; ``predict`` never blocks longer than ``deadline`` (+5 s to kill Node)."""

    name = "js-sdk"

    def __init__(self, base_url: str, api_key: str | None, *, deadline: float, version: str = VERSION) -> None:
        node_version()
        self.dir = ensure_installed(version)
        self.version = version
        self.base_url = base_url
        self._api_key = api_key or ""
        self.deadline = deadline

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def predict(self, flow_id: str, question: str, *, streaming: bool = False, chat_id: str | None = None,
                uploads: list[dict[str, Any]] | None = None, deadline: float | None = None) -> SdkCall:
        """One ``createPrediction`` call, iterated to its end within ``deadline`` (default: the adapter's)."""
        HEALTH.check(self.base_url)  # a target already given up on is not waited for again
        prediction: dict[str, Any] = {"chatflowId": flow_id, "question": question}
        if streaming:
            prediction["streaming"] = True
        if chat_id is not None:
            prediction["chatId"] = chat_id
        if uploads:
            prediction["uploads"] = uploads
        return self.run(prediction, deadline=deadline)

    def run(self, prediction: dict[str, Any], *, deadline: float | None = None) -> SdkCall:
        """One createPrediction(prediction) call in a Node process."""
        node = shutil.which("node")
        if node is None:
            raise SdkUnavailable("Node.js disappeared from PATH")
        deadline = deadline or self.deadline
        payload = json.dumps({"sdkDir": str(self.dir), "baseUrl": self.base_url,
                              "deadlineMs": int(deadline * 1000), "prediction": prediction})
        env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
        env[KEY_ENV] = self._api_key
        started = time.monotonic()
        try:
            proc = subprocess.run([node, str(RUNNER)], input=payload, capture_output=True, text=True,
                                  env=env, timeout=deadline + 5.0)
        except subprocess.TimeoutExpired:
            return SdkCall(sdk=self.label, outcome=TIMEOUT, error_type="Timeout",
                           error=f"the Node process did not finish within {deadline + 5.0:.0f} s (killed)",
                           seconds=time.monotonic() - started)
        seconds = time.monotonic() - started
        lines = proc.stdout.strip().splitlines()
        try:
            out = json.loads(lines[-1]) if lines else None
        except ValueError:
            out = None
        if not isinstance(out, dict) or out.get("outcome") not in (RETURNED, RAISED, TIMEOUT):
            stderr = _scrub(proc.stderr.strip()[-500:], self._api_key)
            raise RuntimeError(f"the JS runner failed (exit {proc.returncode}): {stderr or 'no output'}")
        error = out.get("error") or {}
        return SdkCall(sdk=self.label, outcome=out["outcome"], streamed=out.get("streamed"), value=out.get("value"),
                       yielded=list(out.get("yielded") or []), error=error.get("message"),
                       error_type=error.get("name"), seconds=seconds)


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "[REDACTED]") if secret else text
