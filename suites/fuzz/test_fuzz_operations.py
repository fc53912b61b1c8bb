"""Every operation of the spec, fuzzed with valid and invalid requests (schemathesis).

One item per operation. Each generated request (the spec's examples, boundary values, then
``--fuzz-examples`` random cases, valid and invalid) must get a documented status code with a
documented content type and a body that matches its schema, never a 5xx; a valid request is
not refused as bad input; a protected operation refuses a missing or wrong key; and every
4xx/5xx carries the Error envelope.
"""
from __future__ import annotations

import pytest

from flowise_conformance.fuzz.checks import MUST_CHECKS
from flowise_conformance.fuzz.schema import item_settings, load_schema

FC_FUZZ = True
pytestmark = [pytest.mark.level("MUST")]

schema = load_schema(["positive", "negative"])


@schema.parametrize()
@pytest.mark.source(
    "docs+flowise",
    docs="introduction: status codes 200, 400 invalid input, 401, 404, 413, 422, 500; the operations' "
         "responses as the API reference declares them (the spec's responses transcribe them)",
    flowise="observed 3.1.4: answers JSON with the documented statuses for valid requests; "
            "its 500s for client mistakes are listed as deviations",
)
@item_settings
def test_operation_conforms(case, fuzz_call):  # noqa: ANN001
    """Generated requests get documented statuses, content types and bodies, never a 5xx."""
    fuzz_call(case, MUST_CHECKS)
