"""One run context, written once by whoever starts the run: no run state in environment variables.

The package may name only the FC_* variables listed here (each a child process's input or the
user's), and only those modules may set ``os.environ``; a run with ``-n 2`` (plain pytest: the
plugin writes the context, workers get it via ``workerinput``) and one without (the CLI writes it)
report the same run fields.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import execnet
import pytest

from flowise_conformance import paths, run_context
from flowise_conformance.config import Target, Timeouts
from flowise_conformance.run import run_tag
from tests.safety_support import RefServer, cli_env

# FC_* environment variables the package may name, and why each is not run state
ALLOWED_FC_ENV = {
    "FC_REFERENCE_API_KEY": "embedded.py: the child reference server's key, kept off its command line",
    "FC_SDK_API_KEY": "clients/js_sdk.py: the Node child's key, kept off its command line",
    "FC_FETCH_GUARD": "plugins/safety/node.py: the Node children's fetch-guard rules file (NODE_OPTIONS preload)",
    "FC_FUZZ_SEED": "fuzz/settings.py: user input for fuzz modules run without the plugin",
    "FC_FUZZ_EXAMPLES": "fuzz/settings.py: as FC_FUZZ_SEED",
    "FC_FUZZ_DEEP": "fuzz/settings.py: as FC_FUZZ_SEED",
    "FC_FUZZ": "plugins/coverage.py: a suite module's flag attribute, not an environment variable",
}
# how modules may set os.environ ("item": os.environ[...] = ..., or the method called), and why
ALLOWED_ENV_WRITES = {
    ("cli.py", "update"): "restores the environment the plugins changed for their child processes",
    ("hypothesis_cache.py", "item"): "HYPOTHESIS_STORAGE_DIRECTORY: Hypothesis's own setting, read by Hypothesis itself",
    ("fuzz/settings.py", "item"): "FC_FUZZ_*: the fallback for fuzz modules run without the plugin",
    ("plugins/safety/node.py", "item"): "NODE_OPTIONS and FC_FETCH_GUARD: read by Node children, which get no workerinput",
}
KEY = "fc-run-context-key-5c1d77"
VERSION = "3.1.4-fc-test"
CHECKOUT = Path(__file__).resolve().parents[1]  # its conftest.py loads the plugin for plain pytest


def _package_modules() -> list[tuple[str, ast.AST]]:
    root = paths.PACKAGE_DIR
    return [(p.relative_to(root).as_posix(), ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(root.rglob("*.py")) if "_bundle" not in p.parts]


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def test_package_names_no_fc_run_state_variable():
    """Run state (run id, preflight, server version, embedded URL) travels in the run context, not in FC_* env vars."""
    found = {}
    for name, tree in _package_modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("FC_")
                    and node.value.isupper() and node.value not in ALLOWED_FC_ENV):
                found.setdefault(node.value, name)
    assert not found, f"Expected no FC_* names but {sorted(ALLOWED_FC_ENV)}\nReceived: {found}"


def test_only_listed_modules_set_the_environment():
    """No module passes run state to workers through os.environ (item assignment, update, setdefault, putenv)."""
    writes = set()
    for name, tree in _package_modules():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Subscript) and _is_environ(t.value) for t in targets):
                writes.add((name, "item"))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                    node.func.attr == "putenv"
                    or _is_environ(node.func.value) and node.func.attr in ("update", "setdefault", "__setitem__")):
                writes.add((name, node.func.attr))
    unexpected = sorted(writes - set(ALLOWED_ENV_WRITES))
    assert not unexpected, f"Expected os.environ set only as in {sorted(ALLOWED_ENV_WRITES)}\nReceived also: {unexpected}"


def test_context_crosses_the_execnet_channel_unchanged():
    """workerinput goes through execnet's serializer: the context must survive it equal (no Path, no dataclass)."""
    context = run_context.RunContext(
        Target(base_url="http://127.0.0.1:1", api_key="k", name="n", timeouts=Timeouts(read=2.0),
               capabilities={"leads": False}, fixtures={"prediction": "abc"}),
        "20260101-000000-a1b2c3", Path("/tmp/reports"), server_version="3.1.4", preflight_done=True,
        embedded_url="http://127.0.0.1:1")
    received = run_context.RunContext.from_wire(execnet.loads(execnet.dumps(context.to_wire())))
    assert received == context, f"Expected {context!r}\nReceived {received!r}"


def test_context_is_written_once():
    """A second writer is a bug (two embedded servers, two probes): store() refuses it."""
    context = run_context.RunContext(Target(base_url="http://127.0.0.1:1"), "r", Path("/tmp"))
    config = SimpleNamespace(stash=pytest.Stash(), pluginmanager=SimpleNamespace(hasplugin=lambda name: False))
    run_context.store(config, context)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        run_context.store(config, context)


def _run_fields(report_dir: Path) -> dict[str, object]:
    (run_dir,) = [p.parent for p in report_dir.glob("*/summary.json")]
    summary = json.loads((run_dir / "summary.json").read_text())
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    names = {e["name"] for e in journal if e.get("event") == "created"}
    return {"run_id": summary["run_id"], "directory": run_dir.name, "target": summary["target"],
            "server_version": summary["server_version"], "passed": summary["counts"].get("passed"),
            "names_of_other_runs": sorted(n for n in names if not n.startswith(f"fc-{run_tag(run_dir.name)}-")),
            "created": bool(names), "key_in_files": sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")
                                                           if p.is_file() and KEY.encode() in p.read_bytes())}


def _answering_version(server: RefServer) -> RefServer:
    """The reference has no GET /api/v1/version: answer one, so that the server version is a value to compare."""
    inner = server._ts._server.config.app

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v1/version":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps({"version": VERSION}).encode()})
            return
        await inner(scope, receive, send)

    server._ts._server.config.app = app
    return server


def test_xdist_and_single_process_runs_report_the_same_run_fields(tmp_path):
    """Plain `pytest -n 2` (workers read the context from workerinput) and `flowise-conformance run` (one process)."""
    select = "suites/tools/test_tools_lifecycle.py"
    with _answering_version(RefServer(tmp_path, KEY)) as server:
        runs = {}
        for label, cmd in {
            "cli": [sys.executable, "-m", "flowise_conformance", "run", "--base-url", server.base_url, select],
            "pytest -n 2": [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider",
                            "--base-url", server.base_url, select],
        }.items():
            reports = tmp_path / label.replace(" ", "")
            proc = subprocess.run([*cmd, "--report-dir", str(reports)], cwd=CHECKOUT,
                                  env=cli_env(KEY), capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, f"Expected exit 0 from {label}\nReceived {proc.returncode}: {proc.stdout[-3000:]}"
            runs[label] = _run_fields(reports)
    for label, fields in runs.items():
        assert fields["run_id"] == fields["directory"] and fields["created"] and not fields["names_of_other_runs"] \
            and not fields["key_in_files"], f"Expected one run id everywhere, no key in files ({label})\nReceived {fields}"
    same = ("target", "server_version", "passed")
    cli, xdist = ({k: runs[r][k] for k in same} for r in ("cli", "pytest -n 2"))
    assert cli["server_version"] == VERSION, f"Expected server version {VERSION}\nReceived {cli['server_version']}"
    assert cli == xdist, f"Expected the same run fields\nReceived cli: {cli}\n         pytest -n 2: {xdist}"
