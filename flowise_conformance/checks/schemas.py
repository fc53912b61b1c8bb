"""Validate a JSON value against a component schema of the shipped spec ($refs resolved)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from flowise_conformance.checks.core import ConformanceFailure, expect_json, expect_status
from flowise_conformance.spec import component_schema, load_spec

SPEC_URI = "urn:fc:openapi"


@lru_cache(maxsize=None)
def _validator(component: str) -> jsonschema.Draft202012Validator:
    component_schema(component)  # a clear HarnessError when the spec lacks it
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(load_spec(), default_specification=DRAFT202012))
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def expect_schema(value: Any, component: str, where: str = "") -> Any:
    """``value`` matches ``components/schemas/<component>``; returns it unchanged."""
    errors = sorted(_validator(component).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        shown = "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors[:5]
        )
        excerpt = repr(value)
        if len(excerpt) > 400:
            excerpt = excerpt[:400] + "..."
        raise ConformanceFailure(
            f"{where or 'Body'} does not match the {component} schema",
            f"a value valid against components/schemas/{component}",
            f"{shown} in {excerpt}",
        )
    return value


def expect_answer(response: Any, component: str, where: str = "") -> Any:
    """The response is 200 with a JSON body that matches ``components/schemas/<component>``; returns the body."""
    expect_status(response, 200)
    return expect_schema(expect_json(response), component, where)
