"""Where the shipped spec and suites are: inside the wheel, or at the root of a checkout.

``FLOWISE_CONFORMANCE_TREE=<dir>`` puts another tree in front of both, for self-tests that add a
resource (tests/test_toy_resource.py): its ``spec/``, ``suites/`` and ``expectations/``, where
present, replace the shipped ones, and each ``reference/*.py`` is one more reference module
(``extra_reference_modules``). A variable, not a CLI option, because every process of a run must
see the same tree (the CLI, the ``serve`` server, xdist workers) and because users never need it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLE = PACKAGE_DIR / "_bundle"
_CHECKOUT = PACKAGE_DIR.parent
SUITES_FLAG = "FLOWISE_CONFORMANCE_SUITES"  # set by suites/conftest.py: its directory is a suites root
TREE_ENV = "FLOWISE_CONFORMANCE_TREE"  # another tree in front of the shipped one (self-tests)


def _tree() -> Path | None:
    value = os.environ.get(TREE_ENV)
    return Path(value).resolve() if value else None


def _pick(name: str) -> Path:
    tree = _tree()
    for base in (*([tree] if tree else []), _BUNDLE, _CHECKOUT):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the shipped '{name}/' directory (looked in {_BUNDLE} and {_CHECKOUT})")


def suites_dir() -> Path:
    return _pick("suites")


def spec_dir() -> Path:
    return _pick("spec")


def spec_file() -> Path:
    return spec_dir() / "openapi.yaml"


def extra_reference_modules() -> list[Path]:
    """The reference modules of the ``FLOWISE_CONFORMANCE_TREE`` tree (``reference/*.py``), sorted; none without it."""
    tree = _tree()
    return sorted((tree / "reference").glob("*.py")) if tree and (tree / "reference").is_dir() else []


def expectations_dir() -> Path:
    """The checked-in expectations files of real servers (expectations/flowise-<version>.toml)."""
    return _pick("expectations")


def command_line_paths(args: list[str], invocation_dir: Path) -> list[tuple[Path, bool]]:
    """The paths a pytest command line names, resolved, each with whether it names a node (``::``)."""
    out = []
    for arg in args:
        path = Path(str(arg).split("::", 1)[0])
        if not path.is_absolute():
            path = invocation_dir / path
        out.append((path.resolve(), "::" in str(arg)))
    return out


def suites_root_of(path: Path) -> Path | None:
    """The suites directory holding ``path``: the nearest whose conftest.py sets SUITES_FLAG (read, not imported)."""
    declares = re.compile(rf"^{SUITES_FLAG} = True\b", re.M)
    for folder in (path, *path.parents):
        conftest = folder / "conftest.py"
        try:
            if conftest.is_file() and declares.search(conftest.read_text(encoding="utf-8", errors="replace")):
                return folder
        except OSError:
            continue
    return None
