"""Target configuration: precedence option > env > file > defaults, and clear errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from flowise_conformance.config import Target, load_target
from flowise_conformance.errors import UsageError


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "target.toml"
    path.write_text(text)
    return str(path)


def test_defaults_have_no_base_url_and_50_mib_limit():
    """Without any source, there is no base URL (the embedded server is used) and the limit is 50 MiB."""
    target = load_target(env={})
    assert target.base_url is None and target.body_limit == 52_428_800


def test_option_beats_env_beats_file(tmp_path):
    """--base-url wins over FLOWISE_BASE_URL, which wins over the file's base_url."""
    path = write(tmp_path, 'base_url = "http://127.0.0.1:1001"\napi_key = "file-key"\n')
    env = {"FLOWISE_BASE_URL": "http://127.0.0.1:1002", "FLOWISE_API_KEY": "env-key"}
    assert load_target(target_file=path, env={}).base_url == "http://127.0.0.1:1001"
    assert load_target(target_file=path, env=env).base_url == "http://127.0.0.1:1002"
    assert load_target(target_file=path, env=env).api_key == "env-key"
    chosen = load_target(base_url="http://127.0.0.1:1003", api_key="opt-key", target_file=path, env=env)
    assert (chosen.base_url, chosen.api_key) == ("http://127.0.0.1:1003", "opt-key")


def test_target_file_from_env_var(tmp_path):
    """FLOWISE_TARGET names the target file when --target is not given."""
    path = write(tmp_path, 'base_url = "http://127.0.0.1:1004"\n')
    assert load_target(env={"FLOWISE_TARGET": path}).base_url == "http://127.0.0.1:1004"


def test_api_key_env_reads_the_named_variable(tmp_path):
    """api_key_env names an environment variable that holds the key."""
    path = write(tmp_path, 'base_url = "http://127.0.0.1:1"\napi_key_env = "MY_KEY"\n')
    assert load_target(target_file=path, env={"MY_KEY": "secret-1"}).api_key == "secret-1"


def test_api_key_env_unset_is_a_usage_error(tmp_path):
    """A target file naming an unset variable is refused, naming the variable."""
    path = write(tmp_path, 'api_key_env = "NOT_SET_ANYWHERE"\n')
    with pytest.raises(UsageError, match="NOT_SET_ANYWHERE"):
        load_target(target_file=path, env={})


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("base_url = 'ftp://x'", "base URL"),
        ("base_url = 3", "base_url must be a str"),
        ("bogus = 1", "unknown key"),
        ("[timeouts]\nread = -1", "timeouts.read"),
        ("[timeouts]\nslow = 1", "unknown key"),
        ("[limits]\nbody_bytes = 0", "limits.body_bytes"),
        ("[capabilities]\nteleport = false", "unknown capability"),
        ("[capabilities]\nassistants = 'no'", "capabilities.assistants"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_target_file_names_the_field(tmp_path, text, fragment):
    """Every bad value in a target file is a UsageError whose message names the field."""
    with pytest.raises(UsageError, match=fragment):
        load_target(target_file=write(tmp_path, text), env={})


def test_missing_target_file_is_a_usage_error(tmp_path):
    """A target file that does not exist is named in the error."""
    with pytest.raises(UsageError, match="not found"):
        load_target(target_file=str(tmp_path / "nope.toml"), env={})


def test_base_url_with_api_root_is_reduced_to_the_origin():
    """http://host:port/api/v1 and http://host:port/ both mean the origin."""
    assert load_target(base_url="http://127.0.0.1:3000/api/v1/", env={}).base_url == "http://127.0.0.1:3000"
    assert load_target(base_url="http://127.0.0.1:3000/", env={}).base_url == "http://127.0.0.1:3000"


def test_capabilities_default_to_supported(tmp_path):
    """A capability not declared is supported; one declared false is not."""
    target = load_target(target_file=write(tmp_path, "[capabilities]\nassistants = false\n"), env={})
    assert not target.supports("assistants") and target.supports("tools")


def test_redacted_config_never_shows_the_key():
    """The configuration written to reports replaces the key."""
    assert "s3cr3t" not in repr(Target(base_url="http://x", api_key="s3cr3t"))
    assert "s3cr3t" not in str(Target(base_url="http://x", api_key="s3cr3t").redacted())
