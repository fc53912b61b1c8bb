"""Where the shipped spec and suites are: inside the wheel, or at the root of a checkout."""
from __future__ import annotations

import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLE = PACKAGE_DIR / "_bundle"
_CHECKOUT = PACKAGE_DIR.parent
SUITES_FLAG = "FLOWISE_CONFORMANCE_SUITES"  # set by suites/conftest.py: its directory is a suites root


def _pick(name: str) -> Path:
    for base in (_BUNDLE, _CHECKOUT):
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
