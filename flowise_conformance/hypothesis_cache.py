"""Hypothesis's storage directory: the user's cache, not the directory the run starts in.

Hypothesis keeps its tables and parse results in ``./.hypothesis`` by default. That litters the
user's working directory, and a cold cache is expensive: for the "utf-8" codec (the one
schemathesis's coverage phase always uses) Hypothesis tabulates all 1.1 million code points in
a list of tuples, a ~200 MiB peak in the test process (measured: VmHWM 305 MiB on a cold cache,
135 MiB on a warm one). So runs use ``$XDG_CACHE_HOME/flowise-conformance/hypothesis`` and the
utf-8 table is written there up front; its content is known exactly (every code point except the
surrogates encodes, and every one that encodes decodes back), and tests/test_hypothesis_cache.py
compares it with the table Hypothesis computes itself. If Hypothesis ever renames or reshapes the
file, it ignores ours and computes its own: slower, never wrong.
"""
from __future__ import annotations

import gzip
import json
import os
import tempfile
import unicodedata
from pathlib import Path

ENV_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY"

# [encodable intervals, encodable-but-not-round-tripping intervals] for UTF-8
UTF8_TABLE = [[[0, 0xD7FF], [0xE000, 0x10FFFF]], []]


def default_storage_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowise-conformance" / "hypothesis"


def prepare() -> Path | None:
    """Point Hypothesis at our cache dir (unless the user chose one) and seed the utf-8 table there.

    Returns the directory in use when it is ours, None when the user set their own.
    """
    if os.environ.get(ENV_STORAGE):
        return None
    storage = default_storage_dir()
    os.environ[ENV_STORAGE] = str(storage)
    try:
        _seed_utf8_table(storage)
    except Exception:  # an unwritable cache or a changed Hypothesis: it computes the table itself
        pass
    return storage


def utf8_table_file(storage: Path) -> Path:
    """Where Hypothesis looks for the table (its charmap_file("codec-v2-utf-8"); not called here, because
    touching Hypothesis's storage during plugin set-up makes it warn)."""
    return storage / "unicode_data" / unicodedata.unidata_version / "codec-v2-utf-8.json.gz"


def _seed_utf8_table(storage: Path) -> None:
    target = utf8_table_file(storage)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fc-")
    os.close(fd)
    with gzip.GzipFile(tmp, "wb", mtime=1) as fh:
        fh.write(json.dumps(UTF8_TABLE).encode())
    os.replace(tmp, target)
