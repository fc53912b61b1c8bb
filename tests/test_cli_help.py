"""The help of every command reads as plain, whole sentences (no reST markup, nothing cut off)."""
from __future__ import annotations

import argparse

import pytest

from flowise_conformance.cli import build_parser


def _parsers() -> dict[str, argparse.ArgumentParser]:
    top = build_parser()
    found = {"flowise-conformance": top}
    pending = [("", top)]
    while pending:
        prefix, parser = pending.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[f"{prefix}{name}".strip()] = sub
                    pending.append((f"{prefix}{name} ", sub))
    return found


PARSERS = _parsers()


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_help_shows_no_rest_markup(command):
    """A command's --help shows no ``literal`` or :role:`x` markup from the docstrings it comes from."""
    text = PARSERS[command].format_help()
    for markup in ("``", ":func:`", ":class:`", ":mod:`"):
        assert markup not in text, f"Expected: no {markup!r} in `{command} --help`\nReceived:\n{text}"


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_help_description_does_not_stop_mid_sentence(command):
    """A command's description ends a sentence, not with 'sorts every test into:' and the list left out."""
    description = (PARSERS[command].description or "").strip()
    assert not description.endswith((":", ",")), (
        f"Expected: the description of `{command} --help` to end a sentence\nReceived: ...{description[-80:]!r}")


def test_compare_help_lists_every_category():
    """`compare --help` names each category a test is sorted into, with what it means."""
    text = PARSERS["compare"].format_help()
    for category in ("regression ", "fix ", "added ", "changed "):
        assert category in text, f"Expected: {category.strip()!r} explained in `compare --help`\nReceived:\n{text}"


def test_top_level_help_gives_the_exit_codes():
    """`flowise-conformance --help` says what the tool does and what its exit codes mean."""
    text = PARSERS["flowise-conformance"].format_help()
    assert "Flowise v1 API" in text and "130 interrupted" in text, f"Expected: purpose and exit codes\nReceived:\n{text}"
