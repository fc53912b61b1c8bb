"""The Node fetch guard: Node processes the run starts (the JS SDK) get the guard's rules.

NODE_OPTIONS preloads node_fetch_guard.cjs, which wraps the global ``fetch`` with the origins,
read-only flag and pre-existing ids of the Python guard, written to a temporary JSON file.
Set in pytest_configure and put back in pytest_unconfigure (plugin.py).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from flowise_conformance.plugins.safety.guard import Guard

NODE_GUARD = Path(__file__).with_name("node_fetch_guard.cjs")
ENV_NODE_GUARD = "FC_FETCH_GUARD"


def guard_node_processes(g: Guard, mine: dict[str, Any]) -> None:
    """Node processes the run starts (the JS SDK) get the same rules: NODE_OPTIONS preloads a fetch guard."""
    fd, name = tempfile.mkstemp(prefix="fc-fetch-guard-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump({"origins": [f"{s}://{f'[{h}]' if ':' in h else h}:{p}" for s, h, p in g.origins], "readOnly": g.read_only,
                   "foreign": sorted(g.foreign), "predictOnly": sorted(g.predict_only)}, fh)
    mine["node_guard_file"] = name
    mine["env_before"] = {k: os.environ.get(k) for k in ("NODE_OPTIONS", ENV_NODE_GUARD)}
    preload = f'--require "{NODE_GUARD}"'
    os.environ["NODE_OPTIONS"] = f"{os.environ.get('NODE_OPTIONS', '')} {preload}".strip()
    os.environ[ENV_NODE_GUARD] = name


def unguard_node_processes(mine: dict[str, Any]) -> None:
    for key, value in mine.pop("env_before", {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    name = mine.pop("node_guard_file", None)
    if name:
        Path(name).unlink(missing_ok=True)

