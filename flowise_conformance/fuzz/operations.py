"""The spec's operations as the fuzz suite sees them: the spec model's (flowise_conformance.spec_model).

Its label, tag, security, capabilities, state change and whether it can be negated are properties
of ``spec_model.Operation``; this module keeps the fuzz suite's names for them and the one list
the negative suite needs.
"""
from __future__ import annotations

from flowise_conformance.spec_model import Operation, by_id, by_label, match, operations

__all__ = ["Operation", "by_id", "by_label", "match", "not_negatable", "operations"]


def not_negatable() -> list[str]:
    """operationIds of the operations no request to which can be schema-invalid (no body, no query, no constrained path parameter)."""
    return [op.operation_id for op in operations() if not op.negatable]
