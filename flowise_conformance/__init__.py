"""flowise-conformance: tells whether an HTTP server really speaks the Flowise v1 API.

Public surface: the CLI (``flowise-conformance``), the pytest plugin
(``flowise_conformance.pytest_plugin``), the target configuration (``Target``)
and the embedded reference server (``flowise_conformance.reference``).
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
