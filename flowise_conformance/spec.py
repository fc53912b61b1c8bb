"""The shipped OpenAPI document, loaded once."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from flowise_conformance.errors import HarnessError
from flowise_conformance.paths import spec_file

# libyaml's safe loader when PyYAML has it (its wheels do): the same documents, about ten times faster
# than the pure-Python one, which took about 0.9 s of every run's start
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    path = spec_file()
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise HarnessError(f"cannot load the spec {path}: {exc}") from None


def component_schema(name: str) -> dict[str, Any]:
    try:
        schema = load_spec()["components"]["schemas"][name]
    except (KeyError, TypeError):
        raise HarnessError(f"the spec has no components/schemas/{name}") from None
    return schema
