"""Assistants listing: a plain array, filtered by ?type=."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect, expect_in, expect_not_in
from flowise_conformance.crud import expect_error, path

pytestmark = [pytest.mark.resource("assistants")]


def _expect_only(listed, wanted):  # noqa: ANN001, ANN202
    """Every assistant listed under ?type=<wanted> has that type."""
    others = sorted({str(a.get("type")) for a in listed} - {wanted})
    expect(not others, f"?type={wanted} also listed assistants of type {', '.join(others)}", expected='not others',
           received=others)


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_type_filter_lists_custom_assistants(assistant, listed_assistants):
    """GET /assistants?type=CUSTOM lists the custom assistant just created, and only CUSTOM ones."""
    listed = listed_assistants(type="CUSTOM")
    expect_in(assistant["id"], {a.get("id") for a in listed}, "custom assistant not listed under ?type=CUSTOM")
    _expect_only(listed, "CUSTOM")


@pytest.mark.level("MUST")
@pytest.mark.mutating
def test_type_filter_excludes_other_types(assistant, listed_assistants):
    """GET /assistants?type=OPENAI does not list a custom assistant, and lists only OPENAI ones."""
    listed = listed_assistants(type="OPENAI")
    expect_not_in(assistant["id"], {a.get("id") for a in listed}, "custom assistant listed under ?type=OPENAI")
    _expect_only(listed, "OPENAI")


@pytest.mark.level("SHOULD")
def test_unknown_type_filter_is_rejected(api):
    """GET /assistants?type=BOGUS answers 400 or 422 with the error shape."""
    expect_error(api.get(path("assistant"), params={"type": "BOGUS"}))
