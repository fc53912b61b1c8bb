"""The target under test: where it is, how to authenticate, what it claims to support.

Sources, highest precedence first: command-line options, environment variables,
the target file (TOML), built-in defaults.

    option        env var                   target file key
    --base-url    FLOWISE_BASE_URL          base_url
    --api-key     FLOWISE_API_KEY           api_key, or api_key_env = "NAME OF ENV VAR"
    --target      FLOWISE_TARGET            (the file itself)

A bad value names its source and field and ends the run with exit code 2.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from flowise_conformance.errors import UsageError
from flowise_conformance.resources import known_capabilities

ENV_BASE_URL = "FLOWISE_BASE_URL"
ENV_API_KEY = "FLOWISE_API_KEY"
ENV_TARGET = "FLOWISE_TARGET"

DEFAULT_BODY_LIMIT = 50 * 1024 * 1024  # Flowise's FLOWISE_FILE_SIZE_LIMIT default, "50mb"

# resources.known_capabilities(): resources and features a target may declare unsupported; their
# tests are skipped, never passed.


def canonical_capability(name: str) -> str | None:
    """The known capability a name means, in any case and with - or _ (document-store: document_store)."""
    folded = name.strip().lower().replace("-", "_")
    return folded if folded in known_capabilities() else None


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 15.0  # the longest wait for any bytes of a response
    request: float = 15.0  # a whole non-streamed request: headers and body
    stream_total: float = 30.0  # a whole SSE stream
    stream_event: float = 15.0  # the gap between two SSE events

    def __post_init__(self) -> None:
        for name in ("connect", "read", "request", "stream_total", "stream_event"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 3600:
                raise UsageError(f"timeouts.{name} must be a number of seconds in (0, 3600], got {value!r}")


@dataclass(frozen=True)
class Target:
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    name: str = ""
    timeouts: Timeouts = Timeouts()
    body_limit: int = DEFAULT_BODY_LIMIT
    multipart_limit: int | None = None
    capabilities: Mapping[str, bool] = field(default_factory=dict)
    fixtures: Mapping[str, str] = field(default_factory=dict)
    source: str = "defaults"  # where base_url came from, for messages

    def supports(self, capability: str) -> bool:
        return bool(self.capabilities.get(capability, True))

    def redacted(self) -> dict[str, Any]:
        """The configuration as it may appear in reports: the key is never shown."""
        return {
            "base_url": self.base_url,
            "api_key": "[REDACTED]" if self.api_key else None,
            "name": self.name,
            "timeouts": vars(self.timeouts),
            "body_limit": self.body_limit,
            "multipart_limit": self.multipart_limit,
            "capabilities": dict(self.capabilities),
            "fixtures": dict(self.fixtures),
        }


def _authority(value: str) -> str:
    """The part between ``scheme://`` and the path, found without parsing (a parser may fail on it)."""
    rest = value.split("://", 1)[1] if "://" in value else value
    return re.split(r"[/?#]", rest, maxsplit=1)[0]


def _shown(value: str) -> str:
    """A base URL fit for a message: no user info, no query, bounded, no control characters."""
    scheme, _, rest = value.partition("://") if "://" in value else ("", "", value)
    authority = _authority(value).rsplit("@", 1)[-1]
    path = re.split(r"[?#]", rest[len(_authority(value)):], maxsplit=1)[0]
    shown = (f"{scheme}://" if scheme else "") + authority + path
    shown = shown if len(shown) <= 200 else shown[:200] + "…"
    return repr(shown)


def normalize_base_url(value: str, source: str) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"{source}: the base URL is empty")
    if "@" in _authority(value):
        # httpx would send the user info as Basic auth instead of the key, and it would be in every report
        raise UsageError(f"{source}: base URL must not contain a user name or password (user info before '@'); "
                         f"the suite authenticates with the API key (FLOWISE_API_KEY)")
    try:
        parts = urlsplit(value)
        parts.port
    except ValueError as exc:
        raise UsageError(f"{source}: base URL {_shown(value)} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{source}: base URL must look like http://HOST:PORT, got {_shown(value)}")
    if parts.query or parts.fragment:
        raise UsageError(f"{source}: base URL must not have a query or fragment, got {_shown(value)}")
    path = parts.path.rstrip("/")
    if path.endswith("/api/v1"):  # accept the API root too, store the origin
        path = path[: -len("/api/v1")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise UsageError(f"target file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"target file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"target file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                         f"{exc.start})") from None
    except OSError as exc:
        raise UsageError(f"cannot read target file {path}: {exc.strerror}") from None


_FILE_KEYS = {
    "name", "base_url", "api_key", "api_key_env", "timeouts", "limits", "capabilities", "fixtures",
}


def _from_file(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    data = _read_file(path)
    where = f"target file {path}"
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_FILE_KEYS))}")
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _expect(data["name"], str, where, "name")
    if "base_url" in data:
        out["base_url"] = normalize_base_url(_expect(data["base_url"], str, where, "base_url"), where)
    if "api_key" in data and "api_key_env" in data:
        raise UsageError(f"{where}: give api_key or api_key_env, not both")
    if "api_key" in data:
        out["api_key"] = _expect(data["api_key"], str, where, "api_key")
    if "api_key_env" in data:
        var = _expect(data["api_key_env"], str, where, "api_key_env")
        if var not in env:
            raise UsageError(f"{where}: api_key_env names {var}, which is not set in the environment")
        out["api_key"] = env[var]
    if "timeouts" in data:
        table = _expect(data["timeouts"], dict, where, "timeouts")
        allowed = {"connect", "read", "request", "stream_total", "stream_event"}
        bad = sorted(set(table) - allowed)
        if bad:
            raise UsageError(f"{where}: unknown key(s) in [timeouts]: {', '.join(bad)}")
        try:
            out["timeouts"] = Timeouts(**table)
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
    if "limits" in data:
        table = _expect(data["limits"], dict, where, "limits")
        bad = sorted(set(table) - {"body_bytes", "multipart_bytes"})
        if bad:
            raise UsageError(f"{where}: unknown key(s) in [limits]: {', '.join(bad)}")
        if "body_bytes" in table:
            out["body_limit"] = _positive_int(table["body_bytes"], where, "limits.body_bytes")
        if "multipart_bytes" in table:
            out["multipart_limit"] = _positive_int(table["multipart_bytes"], where, "limits.multipart_bytes")
    if "capabilities" in data:
        table = _expect(data["capabilities"], dict, where, "capabilities")
        capabilities: dict[str, bool] = {}
        for key, value in table.items():
            known = canonical_capability(key)
            if known is None:
                raise UsageError(
                    f"{where}: unknown capability {key!r}; known: {', '.join(sorted(known_capabilities()))}"
                )
            capabilities[known] = _expect(value, bool, where, f"capabilities.{key}")
        out["capabilities"] = capabilities
    if "fixtures" in data:
        table = _expect(data["fixtures"], dict, where, "fixtures")
        for key, value in table.items():
            _expect(value, str, where, f"fixtures.{key}")
        out["fixtures"] = dict(table)
    return out


def _expect(value: Any, kind: type, where: str, key: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise UsageError(f"{where}: {key} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _positive_int(value: Any, where: str, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise UsageError(f"{where}: {key} must be a positive integer, got {value!r}")
    return value


def load_target(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    target_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Target:
    """Merge option > env > file > defaults into one validated Target."""
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    if target_file is not None and not str(target_file).strip():
        raise UsageError("--target: the file name is empty (leave the option out to run the embedded server)")
    if base_url is not None and not base_url.strip():
        raise UsageError("--base-url: the base URL is empty (leave the option out to run the embedded server)")
    file_path = target_file or env.get(ENV_TARGET) or None
    if file_path:
        merged.update(_from_file(Path(file_path), env))
        if "base_url" in merged:
            merged["source"] = f"target file {file_path}"
    if env.get(ENV_BASE_URL):
        merged["base_url"] = normalize_base_url(env[ENV_BASE_URL], f"env {ENV_BASE_URL}")
        merged["source"] = f"env {ENV_BASE_URL}"
    if env.get(ENV_API_KEY):
        merged["api_key"] = env[ENV_API_KEY]
    if base_url:
        merged["base_url"] = normalize_base_url(base_url, "--base-url")
        merged["source"] = "--base-url"
    if api_key:
        merged["api_key"] = api_key
    return replace(Target(), **merged)
