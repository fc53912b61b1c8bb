"""Every operation of the spec refuses schema-invalid requests (schemathesis, negative data).

One item per operation, SHOULD: the hand-written suites hold the documented bad-input cases
(missing fields, malformed JSON) at MUST; this goes further, to any request that breaks a
request constraint of the spec, which must be answered 4xx (400, 401, 403, 404, 405, 406, 409,
415, 422, 428 or 429). Its source is the introduction's 400/422 for invalid input, which covers
the API reference's types and required fields. Not done yet (issue 19): the spec's constraints
without a source (additionalProperties: false, minLength, an enum where the reference writes
"e.g.") are still negated too, so a failure of this item must be read against the constraint
it names before it is called a deviation.
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
@pytest.mark.source(
    "docs",
    docs="introduction: 400 Bad Request - Invalid input or malformed request; 422 Validation Error - "
         "Request validation failed (meant for constraints with a source: the reference's types and "
         "required fields)",
    flowise="observed 3.1.4: validates almost nothing; wrong types and missing required fields are "
            "stored, ignored or answered 500",
)
@item_settings
def test_invalid_request_is_refused(case, fuzz_call):  # noqa: ANN001
    """A schema-invalid request is refused with a 4xx."""
    fuzz_call(case, SHOULD_CHECKS)
