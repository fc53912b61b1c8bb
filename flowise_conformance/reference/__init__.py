"""The embedded reference server: a small, fully compliant Flowise v1 server.

ASGI (starlette), SQLite, a deterministic echo model. Each resource module holds its
handlers *and* the faults that break them; ``faults`` is only the registry.
"""
from __future__ import annotations

from flowise_conformance.reference.app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]
