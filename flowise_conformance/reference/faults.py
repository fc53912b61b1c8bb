"""Registry of switchable faults: each one is a single deviation from the spec.

A fault is declared next to the handler it breaks, with the suite tests that must
catch it (``caught_by``: node ids relative to ``suites/``). The self-tests run those
tests against a server with the fault on and require every one of them to fail.
"""
from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request


@dataclass(frozen=True)
class Fault:
    name: str
    doc: str
    caught_by: tuple[str, ...]

    def on(self, request: Request) -> bool:
        return self.name in request.app.state.settings.faults


REGISTRY: dict[str, Fault] = {}


def fault(name: str, doc: str, caught_by: tuple[str, ...] | list[str]) -> Fault:
    if name in REGISTRY:
        raise ValueError(f"fault {name!r} declared twice")
    if not caught_by:
        raise ValueError(f"fault {name!r} names no catching test")
    declared = Fault(name, doc, tuple(caught_by))
    REGISTRY[name] = declared
    return declared


def all_faults() -> list[Fault]:
    # importing the app imports every resource module, and so declares every fault
    from flowise_conformance.reference.app import resource_modules

    resource_modules()

    return sorted(REGISTRY.values(), key=lambda f: f.name)
