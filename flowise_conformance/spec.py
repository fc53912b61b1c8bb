"""The shipped OpenAPI document, loaded once."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from flowise_conformance.errors import HarnessError
from flowise_conformance.paths import spec_file


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    path = spec_file()
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise HarnessError(f"cannot load the spec {path}: {exc}") from None


def component_schema(name: str) -> dict[str, Any]:
    try:
        schema = load_spec()["components"]["schemas"][name]
    except (KeyError, TypeError):
        raise HarnessError(f"the spec has no components/schemas/{name}") from None
    return schema
