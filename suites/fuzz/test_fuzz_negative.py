"""Every operation of the spec refuses schema-invalid requests (schemathesis, negative data).

One item per operation, SHOULD: the hand-written suites hold the documented bad-input cases
(missing fields, malformed JSON) at MUST; this goes further, to any request the spec's closed,
typed request schemas rule out (wrong types, unknown fields, out-of-range values), which must
be answered 4xx (400, 401, 403, 404, 405, 406, 409, 415, 422, 428 or 429).
"""
from __future__ import annotations

import pytest

from flowise_conformance.fuzz.checks import SHOULD_CHECKS
from flowise_conformance.fuzz.operations import not_negatable
from flowise_conformance.fuzz.schema import item_settings, load_schema

FC_FUZZ = True
pytestmark = [pytest.mark.level("SHOULD")]

# Some operations have no invalid request at all (ping and the loader list: no input; get or
# delete by id: one unconstrained path parameter; the API key is not generated, a missing or
# wrong key is ignored_auth's job in test_fuzz_operations). They are fuzzed there.
schema = load_schema(["negative"]).exclude(operation_id=not_negatable())


@schema.parametrize()
@item_settings
def test_invalid_request_is_refused(case, fuzz_call):  # noqa: ANN001
    """A schema-invalid request is refused with a 4xx."""
    fuzz_call(case, SHOULD_CHECKS)
