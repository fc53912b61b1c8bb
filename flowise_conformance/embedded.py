"""Start and stop the embedded reference server as a child process on a free loopback port."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flowise_conformance.errors import HarnessError

# the child server's key: in its environment, not on its command line (which `ps` shows to every user)
ENV_REFERENCE_KEY = "FC_REFERENCE_API_KEY"
EMBEDDED_SOURCE = "embedded reference server"  # where such a target came from, in messages and reports
START_TIMEOUT = 20.0


class EmbeddedServer:
    def __init__(self, faults: tuple[str, ...] = (), body_limit: int | None = None, api_key: str | None = None) -> None:
        self.faults = faults
        self.body_limit = body_limit
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.base_url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "EmbeddedServer":
        self._dir = Path(tempfile.mkdtemp(prefix="fc-ref-"))
        ready = self._dir / "ready"
        self._log = (self._dir / "server.log").open("wb")
        cmd = [sys.executable, "-m", "flowise_conformance", "serve", "--port", "0", "--ready-file", str(ready)]
        for name in self.faults:
            cmd += ["--fault", name]
        if self.body_limit:
            cmd += ["--body-limit", str(self.body_limit)]
        env = {**os.environ, ENV_REFERENCE_KEY: self.api_key}
        self._proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=self._log, start_new_session=True)  # Ctrl-C reaches the run only
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if ready.exists() and ready.read_text().strip():
                self.base_url = ready.read_text().strip()
                return self
            if self._proc.poll() is not None:
                err = (self._dir / "server.log").read_text(errors="replace")[-500:]
                self.stop()
                raise HarnessError(f"the embedded reference server exited at start: {err.strip()}")
            time.sleep(0.05)
        self.stop()
        raise HarnessError(f"the embedded reference server did not start within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            shutil.rmtree(self._dir, ignore_errors=True)
            self._log = None

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
