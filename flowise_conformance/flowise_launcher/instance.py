"""Start, bootstrap and stop a throw-away real Flowise instance on loopback.

:func:`start` does, in order:

1. make sure the npm install exists (:func:`install.install`, idempotent);
2. create a temporary data dir and start ``flowise start`` in its own process group, with
   ``PORT``, ``HOST=127.0.0.1``, ``DATABASE_PATH``, ``SECRETKEY_PATH``, ``LOG_PATH``,
   ``BLOB_STORAGE_PATH`` (all inside the data dir) and ``DISABLE_FLOWISE_TELEMETRY=true``;
3. start our fake OpenAI server (``fake_openai.py``) on a free loopback port; it also exits by
   itself once the Flowise process is gone;
4. wait for ``GET /api/v1/ping`` -> ``pong`` (bounded);
5. bootstrap over HTTP: ``POST /auth/resolve``, ``POST /account/register``, ``POST /auth/login``
   (session cookies + ``x-request-from: internal``), ``GET /auth/permissions/API_KEY``,
   ``POST /apikey`` with every API_KEY permission; then with the API key alone
   ``POST /credentials`` (openAIApi, for the fake) and ``POST /chatflows`` for the two fixtures,
   and one verification prediction on each;
6. write the target TOML (mode 0600, it holds the API key) and a state JSON (pids, process
   groups, ports, data dir) that :func:`stop` uses to kill both process groups and remove the
   data dir.

Why one module of about 480 lines: start, bootstrap and stop share one life cycle (the process
groups, the state file, the data dir) and its failure handling; split, each half would need the other's.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import httpx

from . import flows
from .install import (DEFAULT_VERSION, Installation, LauncherError, Log, default_cache_dir, install,
                      installation, stderr_log)

START_TIMEOUT = 180.0        # seconds until /api/v1/ping must answer
FAKE_START_TIMEOUT = 15.0
HTTP_TIMEOUT = 60.0          # per bootstrap request
STOP_TIMEOUT = 15.0          # SIGTERM grace before SIGKILL

OWNER_NAME = "Conformance Admin"
OWNER_EMAIL = "admin@conformance.invalid"
OWNER_PASSWORD = "Conf0rmance!pw"  # Flowise: 8-128 chars, lower, upper, digit, special
API_KEY_NAME = "conformance"
CHATFLOW_NAME = "conformance-fake-llm-chain"
AGENTFLOW_NAME = "conformance-echo-agentflow"

FAKE_OPENAI_SCRIPT = Path(__file__).with_name("fake_openai.py")
_HAVE_PROC = Path("/proc/self/stat").exists()


def state_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where ``start`` records running instances (``stop --all`` looks here)."""
    return (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / "instances"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Instance:
    version: str
    base_url: str
    port: int
    api_key: str
    api_key_id: str
    chatflow_id: str
    agentflow_id: str
    credential_id: str
    data_dir: str
    target_file: str
    state_file: str
    flowise_pid: int
    fake_pid: int
    fake_port: int
    fake_base_url: str
    owner_email: str = OWNER_EMAIL
    timings: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"flowise-{self.version}"


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------

def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (atomically, via a temp file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def target_toml(inst: Instance) -> str:
    return (
        f"# written by flowise-conformance's launcher; removed by `flowise stop`\n"
        f"name = {_toml_str(inst.name)}\n"
        f"base_url = {_toml_str(inst.base_url)}\n"
        f"api_key = {_toml_str(inst.api_key)}\n"
        f"\n[fixtures]\n"
        f"chatflow_id = {_toml_str(inst.chatflow_id)}    # fake-LLM chatflow, streams \"Fake reply to: Q\"\n"
        f"agentflow_id = {_toml_str(inst.agentflow_id)}  # Start -> Direct Reply, answers \"Echo: Q\"\n"
    )


# --------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------

def _spawn(cmd: list[str], *, cwd: Path, env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log_fh:
        return subprocess.Popen(cmd, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, stdout=log_fh,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log, led by its first error line when that scrolled out (a stack trace
    after it would otherwise hide what went wrong, e.g. "Cannot find module ...")."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    all_lines = text.splitlines()
    tail = all_lines[-lines:]
    first_error = next((line for line in all_lines if "[ERROR]" in line or line.startswith("Error")), None)
    if first_error is not None and first_error not in tail:
        tail = [first_error, "..."] + tail
    return "\n".join(tail)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_members(pgid: int) -> list[int]:
    """Pids whose process group is ``pgid`` (Linux /proc; empty elsewhere)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _terminate_group(pgid: int, expect_in_cmdline: str, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM the process group ``pgid`` (ours: started with a new session), then SIGKILL.

    ``expect_in_cmdline`` guards against recycled pids: on Linux the group is signalled only if
    one of its live members still has that text in its command line. Returns True if signalled.
    """
    if pgid <= 1 or pgid == os.getpgrp():
        return False

    def gone() -> bool:
        _reap(pgid)
        return not _group_members(pgid) if _HAVE_PROC else not _group_alive(pgid)

    if _HAVE_PROC:
        if not any(expect_in_cmdline in _cmdline(pid) for pid in _group_members(pgid)):
            return False
    elif gone():
        return False
    for sig, grace in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if gone():
                return True
            time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


# --------------------------------------------------------------------------------------------
# HTTP bootstrap
# --------------------------------------------------------------------------------------------

def _client(base_url: str) -> httpx.Client:
    # trust_env=False: never go through a proxy, the server is on loopback
    return httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=HTTP_TIMEOUT, trust_env=False)


def _expect(resp: httpx.Response, *ok: int):
    if resp.status_code not in ok:
        raise LauncherError(f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}: "
                            f"{resp.text[:300]}")
    try:
        return resp.json()
    except ValueError:
        return resp.text


def wait_for_ping(base_url: str, proc: subprocess.Popen | None, timeout: float, log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    with _client(base_url) as client:
        while True:
            if proc is not None and proc.poll() is not None:
                tail = _tail(log_path) if log_path else ""
                raise LauncherError(f"flowise exited with code {proc.returncode} before answering /api/v1/ping"
                                    + (f"; last log lines:\n{tail}" if tail else ""))
            try:
                resp = client.get("/ping", timeout=2.0)
                if resp.status_code == 200 and resp.text == "pong":
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise LauncherError(f"flowise did not answer {base_url}/api/v1/ping within {int(timeout)} s")
            time.sleep(0.25)


def bootstrap(base_url: str, fake_base_url: str, log: Log = stderr_log, verify: bool = True) -> dict:
    """Owner account, API key (all API_KEY permissions), fake credential and the two flows."""
    out: dict = {}
    with _client(base_url) as session:
        resolved = _expect(session.post("/auth/resolve"), 200)
        if isinstance(resolved, dict) and resolved.get("redirectUrl") == "/organization-setup":
            _expect(session.post("/account/register", json={
                "user": {"name": OWNER_NAME, "email": OWNER_EMAIL, "credential": OWNER_PASSWORD}}), 201)
        else:
            raise LauncherError(f"flowise at {base_url} is not a fresh install (auth/resolve: {resolved})")
        _expect(session.post("/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}), 200)
        internal = {"x-request-from": "internal"}
        perms = _expect(session.get("/auth/permissions/API_KEY", headers=internal), 200)
        if not isinstance(perms, dict):
            raise LauncherError(f"unexpected /auth/permissions/API_KEY answer: {str(perms)[:200]}")
        keys = [p["key"] for category in perms.values() for p in category]
        created = _expect(session.post("/apikey", headers=internal,
                                       json={"keyName": API_KEY_NAME, "permissions": keys}), 200)
        mine = [k for k in created if k.get("keyName") == API_KEY_NAME] if isinstance(created, list) else []
        key = mine[0] if mine else None
        if key is None:
            raise LauncherError(f"POST /apikey did not return the new key: {str(created)[:200]}")
        out.update(api_key=key["apiKey"], api_key_id=key["id"], permissions=len(keys))

    bearer = {"Authorization": f"Bearer {out['api_key']}"}
    with _client(base_url) as api:  # no cookies from here on: the API key alone must be enough
        api.headers.update(bearer)
        _expect(api.get("/chatflows"), 200)
        cred = _expect(api.post("/credentials", json={
            "name": "conformance-fake-openai", "credentialName": "openAIApi",
            "plainDataObj": {"openAIApiKey": "sk-fake-conformance"}}), 200)
        out["credential_id"] = cred["id"]
        chat = _expect(api.post("/chatflows", json=flows.chatflow_body(
            CHATFLOW_NAME, flows.fake_llm_chatflow(fake_base_url, cred["id"]), "CHATFLOW")), 200)
        agent = _expect(api.post("/chatflows", json=flows.chatflow_body(
            AGENTFLOW_NAME, flows.echo_agentflow(), "AGENTFLOW")), 200)
        out.update(chatflow_id=chat["id"], agentflow_id=agent["id"])
        if verify:
            for flow_id, expected in ((chat["id"], "Fake reply to: ping"), (agent["id"], "Echo: ping")):
                answer = _expect(api.post(f"/prediction/{flow_id}", json={"question": "ping"}), 200)
                text = answer.get("text") if isinstance(answer, dict) else None
                if text != expected:
                    raise LauncherError(f"verification prediction on {flow_id} answered {text!r}, "
                                        f"expected {expected!r}")
    return out


# --------------------------------------------------------------------------------------------
# start / stop
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ignore Ctrl-C while cleaning up (main thread only), so the cleanup cannot be cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_fake(data_dir: Path, watch_pid: int) -> tuple[subprocess.Popen, int]:
    port_file = data_dir / "fake_openai.port"
    proc = _spawn([sys.executable, str(FAKE_OPENAI_SCRIPT), "--port", "0", "--port-file", str(port_file),
                   "--watch-pid", str(watch_pid)],
                  cwd=data_dir, env=dict(os.environ), log_path=data_dir / "fake_openai.log")
    deadline = time.monotonic() + FAKE_START_TIMEOUT
    while time.monotonic() < deadline:
        if port_file.exists():
            return proc, int(port_file.read_text().strip())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    raise LauncherError("fake OpenAI server did not start: " + (_tail(data_dir / "fake_openai.log", 5) or "no output"))


def start(version: str = DEFAULT_VERSION, *, cache_dir: str | os.PathLike | None = None,
          port: int | None = None, target_out: str | os.PathLike | None = None,
          state_out: str | os.PathLike | None = None, data_parent: str | os.PathLike | None = None,
          auto_install: bool = True, timeout: float = START_TIMEOUT, verify: bool = True,
          extra_env: dict | None = None, log: Log = stderr_log) -> Instance:
    """Start and bootstrap a fresh instance; on any failure (or Ctrl-C) everything is cleaned up."""
    inst_paths: Installation = installation(version, cache_dir)
    if not inst_paths.is_complete():
        if not auto_install:
            raise LauncherError(f"flowise {version} is not installed in {inst_paths.cache_dir}; "
                                f"run: flowise install --version {version}")
        install(version, cache_dir, log=log)
    if port is None:
        port = free_port()
    elif _port_in_use(port):
        raise LauncherError(f"something already listens on 127.0.0.1:{port}")
    base_url = f"http://127.0.0.1:{port}"

    data_dir = Path(tempfile.mkdtemp(prefix=f"flowise-{version}-{port}-", dir=data_parent))
    states = state_dir(cache_dir)
    state_file = Path(state_out) if state_out else states / f"flowise-{port}.json"
    target_file = Path(target_out) if target_out else data_dir / "target.toml"
    flowise_proc: subprocess.Popen | None = None
    fake_proc: subprocess.Popen | None = None
    timings: dict = {}
    try:
        env = inst_paths.env()
        for key in list(env):  # never inherit another instance's config
            if key in ("DATABASE_TYPE", "DATABASE_HOST", "DATABASE_NAME", "APIKEY_PATH", "FLOWISE_USERNAME",
                       "FLOWISE_PASSWORD", "NODE_ENV"):
                env.pop(key)
        env.update(PORT=str(port), HOST="127.0.0.1", DATABASE_PATH=str(data_dir),
                   SECRETKEY_PATH=str(data_dir), LOG_PATH=str(data_dir / "logs"),
                   BLOB_STORAGE_PATH=str(data_dir / "storage"), DISABLE_FLOWISE_TELEMETRY="true")
        env.update(extra_env or {})
        t0 = time.monotonic()
        log(f"starting flowise {version} on {base_url} (data dir {data_dir})")
        flowise_proc = _spawn([str(inst_paths.flowise_bin), "start"], cwd=inst_paths.flowise_dir, env=env,
                              log_path=data_dir / "server.log")
        fake_proc, fake_port = _start_fake(data_dir, flowise_proc.pid)
        fake_base_url = f"http://127.0.0.1:{fake_port}/v1"
        # record the processes at once, so `stop` can clean up even if we die during startup
        partial = {"version": version, "base_url": base_url, "port": port, "data_dir": str(data_dir),
                   "flowise_pid": flowise_proc.pid, "fake_pid": fake_proc.pid, "fake_port": fake_port,
                   "target_file": str(target_file), "state_file": str(state_file), "ready": False}
        _write_private(state_file, json.dumps(partial, indent=2) + "\n")
        wait_for_ping(base_url, flowise_proc, timeout, data_dir / "server.log")
        timings["start_s"] = round(time.monotonic() - t0, 2)
        log(f"flowise answered /api/v1/ping after {timings['start_s']} s; bootstrapping")
        t1 = time.monotonic()
        boot = bootstrap(base_url, fake_base_url, log=log, verify=verify)
        timings["bootstrap_s"] = round(time.monotonic() - t1, 2)
        inst = Instance(version=version, base_url=base_url, port=port, api_key=boot["api_key"],
                        api_key_id=boot["api_key_id"], chatflow_id=boot["chatflow_id"],
                        agentflow_id=boot["agentflow_id"], credential_id=boot["credential_id"],
                        data_dir=str(data_dir), target_file=str(target_file), state_file=str(state_file),
                        flowise_pid=flowise_proc.pid, fake_pid=fake_proc.pid, fake_port=fake_port,
                        fake_base_url=fake_base_url, timings=timings)
        _write_private(target_file, target_toml(inst))
        state = {k: v for k, v in asdict(inst).items() if k != "api_key"}
        state["ready"] = True
        _write_private(state_file, json.dumps(state, indent=2) + "\n")
        log(f"ready in {timings['start_s'] + timings['bootstrap_s']:.1f} s "
            f"(start {timings['start_s']} s, bootstrap {timings['bootstrap_s']} s): target {target_file}")
        return inst
    except BaseException as exc:
        with _sigint_deferred():
            _cleanup(flowise_proc, fake_proc, data_dir, state_file)
        if isinstance(exc, httpx.HTTPError):
            raise LauncherError(f"bootstrap of {base_url} failed: {exc}") from None
        raise


def _cleanup(flowise_proc, fake_proc, data_dir: Path, state_file: Path) -> None:
    for proc in (flowise_proc, fake_proc):
        if proc is not None:
            _terminate_group(proc.pid, "")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)
    shutil.rmtree(data_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        state_file.unlink()


def stop(state_file: str | os.PathLike, log: Log = stderr_log) -> bool:
    """Stop the instance recorded in ``state_file``: kill both process groups, remove the data dir,
    the target file and the state file. Returns False if there was nothing to stop."""
    path = Path(state_file)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LauncherError(f"no such state file: {path}") from None
    except (OSError, ValueError) as exc:
        raise LauncherError(f"unreadable state file {path}: {exc}") from None
    running = False
    for key, marker in (("flowise_pid", "flowise"), ("fake_pid", "fake_openai")):
        pgid = int(state.get(key) or 0)  # each was started as a session leader: pid == pgid
        if pgid > 1 and _terminate_group(pgid, marker):
            running = True
    data_dir = state.get("data_dir")
    if data_dir and Path(data_dir).name.startswith("flowise-"):
        shutil.rmtree(data_dir, ignore_errors=True)
    for extra in (state.get("target_file"), str(path)):
        if extra:
            with contextlib.suppress(OSError):
                Path(extra).unlink()
    log(f"stopped flowise on {state.get('base_url')}" if running
        else f"flowise on {state.get('base_url')} was not running; cleaned up")
    return running


def stop_all(cache_dir: str | os.PathLike | None = None, log: Log = stderr_log) -> int:
    """Stop every instance recorded under the cache dir; returns how many state files were handled."""
    count = 0
    for path in sorted(state_dir(cache_dir).glob("flowise-*.json")):
        stop(path, log=log)
        count += 1
    if count == 0:
        log("no recorded instances")
    return count


@contextlib.contextmanager
def run_with_flowise(version: str = DEFAULT_VERSION, *, cache_dir: str | os.PathLike | None = None,
                     port: int | None = None, target_out: str | os.PathLike | None = None,
                     auto_install: bool = True, timeout: float = START_TIMEOUT, verify: bool = True,
                     extra_env: dict | None = None, log: Log = stderr_log) -> Iterator[Path]:
    """Start a fresh, bootstrapped Flowise; yield the path of its target TOML file.

    On exit (normal, exception or KeyboardInterrupt) the instance and the fake OpenAI server are
    stopped and the data dir (which holds the target file unless ``target_out`` is given) is
    removed.
    """
    inst = start(version, cache_dir=cache_dir, port=port, target_out=target_out, auto_install=auto_install,
                 timeout=timeout, verify=verify, extra_env=extra_env, log=log)
    try:
        yield Path(inst.target_file)
    finally:
        with _sigint_deferred():
            with contextlib.suppress(LauncherError):
                stop(inst.state_file, log=log)
