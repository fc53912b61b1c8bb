"""Redaction leaves no piece of the key: text cut before it is redacted, and encodings servers use.

A cut (a 2000-character transcript, pytest's shortened reprs, "... (N chars)" excerpts) can
split the key; the two halves together rebuild it. So: no PIECE-long run of the key in any
form survives anywhere, and no prefix/suffix of EDGE or more characters survives at a cut.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from _pytest._io.saferepr import saferepr

from flowise_conformance import redact as redaction
from flowise_conformance.redact import EDGE, PIECE, REDACTED, excerpt, redact, redact_bytes, register_secret

KEY = "fcK+y/9Qz&Lm<Wx=Rt'7Vb"  # 22 characters that URL, JSON, HTML and repr encode differently
GO_JSON = json.dumps(KEY).replace("&", "\\u0026").replace("<", "\\u003c")[1:-1]
SLASH_JSON = json.dumps(KEY).replace("/", "\\/")[1:-1]
EVERY_JSON = "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in KEY)
LOWER_URL = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(KEY, safe=""))
FORMS = {"literal": KEY, "Go/.NET JSON (\\u0026)": GO_JSON, "JSON with \\/": SLASH_JSON,
         "JSON, everything \\uXXXX": EVERY_JSON, "URL-encoded, lower-case hex": LOWER_URL,
         "repr with both quotes": repr(KEY + '"')[1:-2]}


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setattr(redaction, "_secrets", set())
    monkeypatch.setattr(redaction, "_needles", {})
    register_secret(KEY)


def pieces(form: str, length: int = PIECE) -> set[str]:
    return {form[i:i + length] for i in range(len(form) - length + 1)}


def found_pieces(text: str) -> list[str]:
    return sorted({p for form in FORMS.values() for p in pieces(form) if p in text})


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_encoding_a_server_uses_is_redacted_whole(name):
    """The key as Go/.NET JSON (\\u0026), JSON with \\/, all-\\uXXXX JSON, lower-hex URL and repr escapes."""
    text = f'{{"message": "echo {FORMS[name]} end"}}'
    assert redact(text) == f'{{"message": "echo {REDACTED} end"}}', f"Expected the {name} form redacted\nReceived: {redact(text)!r}"


@pytest.mark.parametrize("start", range(len(KEY) - PIECE + 1))
def test_a_piece_of_ten_characters_is_redacted_anywhere(start):
    """Any PIECE-long run of the key, without a cut marker, is redacted (str and bytes)."""
    piece = KEY[start:start + PIECE]
    assert redact(f"a {piece} b") == f"a {REDACTED} b"
    assert redact_bytes(f"a {piece} b".encode()) == f"a {REDACTED} b".encode()


@pytest.mark.parametrize("cut", range(EDGE, len(KEY)))
def test_a_prefix_before_a_cut_marker_and_a_suffix_after_it_are_redacted(cut):
    """'head...tail' as pytest's saferepr and our excerpts write it: both halves of the key go."""
    text = f"x {KEY[:cut]}...{KEY[cut:]} y"
    clean = redact(text)
    left = sorted(p for p in pieces(KEY, EDGE) if p in clean)
    assert not left, f"Expected both halves redacted from {text!r}\nReceived: {clean!r} (pieces left: {left})"


@pytest.mark.parametrize("cut", range(EDGE, len(KEY)))
def test_a_prefix_at_the_end_of_the_text_is_redacted(cut):
    """Text cut before it reached us ends in a key prefix: the prefix goes."""
    assert redact("padding " + KEY[:cut]) == "padding " + REDACTED


def test_pytest_shortened_reprs_leave_no_piece_of_the_key():
    """saferepr (assertion messages) cuts long strings in the middle: for every position of the key, no piece survives."""
    leaks = {}
    for pad in range(0, 400, 3):
        shown = redact(saferepr("p" * pad + KEY + "q" * 300, maxsize=240))
        left = found_pieces(shown) + sorted({p for p in pieces(KEY, EDGE) if p in shown})
        if left:
            leaks[pad] = (shown, left)
    assert not leaks, f"Expected no piece of the key\nReceived (padding: text, pieces): {list(leaks.items())[:3]}"


@pytest.mark.parametrize("limit", range(1990, 2030))
def test_excerpt_redacts_before_it_cuts(limit):
    """excerpt() never leaves the start of a key at its cut, wherever the cut falls."""
    text = "p" * 2000 + KEY + "q" * 100
    shown = excerpt(text, limit)
    assert not {p for p in pieces(KEY, EDGE) if p in shown}, f"Expected no piece of the key\nReceived: {shown[-60:]!r}"
    assert shown.endswith(f"… ({len(text)} chars)")


def test_text_without_the_key_is_unchanged():
    """Redaction touches nothing else: short shared prefixes, dots and ellipses stay."""
    text = "fcK... fcK+ is fine, .... and … stay; 9Qz&L alone is 5 characters " + "." * 200
    assert redact(text) == text
