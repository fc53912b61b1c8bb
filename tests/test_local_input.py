"""Bad local input (options, env, target and expectations files) ends the run with exit 2 and one clear line.

No traceback, no INTERNALERROR, the source and the field named, nothing written outside the
report directory, and never the password of a URL: a base URL with user info is refused,
because httpx would send it as Basic auth instead of the key and it would be in every report.
"""
from __future__ import annotations

import pytest

from flowise_conformance.config import load_target
from flowise_conformance.errors import UsageError
from tests.conftest import clean_env

PASSWORD = "pw-Hunter2-s3cret"
LATIN1 = "name = 'caf\xe9'\n".encode("latin-1")  # not UTF-8


def assert_one_clear_line(result, *fragments: str) -> str:
    """Exit 2; stderr says what is wrong in a line with every fragment; no traceback; the password nowhere."""
    everything = result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if all(f in line for f in fragments)]
    assert result.code == 2, f"Expected exit 2\nReceived: {result.code}\n{everything[-2000:]}"
    assert lines, f"Expected a line with {fragments}\nReceived: {result.stderr[-2000:]!r}"
    for bad in ("Traceback", "INTERNALERROR", PASSWORD):
        assert bad not in everything, f"Expected no {bad!r}\nReceived: {everything[-2000:]}"
    return lines[0]


@pytest.mark.parametrize("where", ["--base-url", "env FLOWISE_BASE_URL", "target file"])
def test_a_base_url_with_user_info_is_refused_without_echoing_it(run_cli, tmp_path, where):
    """http://user:password@host:port from the option, the env or a target file: exit 2, the password not shown."""
    url = f"http://fc-user:{PASSWORD}@127.0.0.1:9/?apiKey={PASSWORD}"
    args, env = ["run"], clean_env()
    if where == "--base-url":
        args += ["--base-url", url]
    elif where.startswith("env"):
        env["FLOWISE_BASE_URL"] = url
    else:
        (tmp_path / "t.toml").write_text(f'base_url = "{url}"\n')
        args += ["--target", str(tmp_path / "t.toml")]
    result = run_cli(*args, env=env, timeout=60)
    assert_one_clear_line(result, "user name or password", where.split()[-1])
    assert not (tmp_path / "reports").exists(), "Expected no report: the run never started"


def test_a_query_in_the_base_url_is_refused_without_echoing_it():
    """A query may carry a key: the message shows the URL without it."""
    with pytest.raises(UsageError) as caught:
        load_target(base_url=f"http://127.0.0.1:9/?apiKey={PASSWORD}", env={})
    assert "query" in str(caught.value) and PASSWORD not in str(caught.value), str(caught.value)


def test_an_invalid_ipv6_base_url_is_a_usage_error(run_cli):
    """--base-url 'http://[::1' (no closing bracket): exit 2 naming the option, not a ValueError traceback."""
    assert_one_clear_line(run_cli("run", "--base-url", "http://[::1", timeout=60), "--base-url", "not a valid URL")


def test_a_target_file_that_is_not_utf8_is_named(run_cli, tmp_path):
    """A Latin-1 target file: exit 2, the file named, not a UnicodeDecodeError traceback."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(LATIN1)
    assert_one_clear_line(run_cli("run", "--target", str(path), timeout=60), str(path), "not UTF-8")


def test_an_expectations_file_that_is_not_utf8_is_named(run_cli, tmp_path):
    """A Latin-1 expectations file: exit 2, the file named, not a pytest INTERNALERROR."""
    path = tmp_path / "latin1-expectations.toml"
    path.write_bytes(LATIN1)
    result = run_cli("run", "--expectations", str(path), "--profile", "ping", timeout=120)
    assert_one_clear_line(result, str(path), "not UTF-8")


@pytest.mark.parametrize("run_id", ["../../x", "a/b", "..", ""])
def test_a_run_id_that_is_a_path_is_refused(run_cli, tmp_path, run_id):
    """--run-id '../../x' would write reports outside the report directory: exit 2, nothing written."""
    result = run_cli("run", "--run-id", run_id, timeout=60)
    assert_one_clear_line(result, "--run-id", "run id")
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    assert not (tmp_path / "reports").exists(), "Expected no report: the run never started"


def test_cleanup_refuses_a_run_id_that_is_a_path(run_cli):
    """cleanup --run-id ../x: exit 2, one line."""
    assert_one_clear_line(run_cli("cleanup", "--run-id", "../x", timeout=60), "--run-id", "run id")


@pytest.mark.parametrize("option", ["--target", "--base-url"])
def test_an_empty_target_or_base_url_is_refused(run_cli, option):
    """--target '' or --base-url '' is a mistake, not a request for the embedded server: exit 2."""
    result = run_cli("run", option, "", timeout=60)
    assert_one_clear_line(result, option, "empty")
    assert "embedded" not in result.stderr.split(option)[0], "Expected no embedded server to start"


def test_a_bad_timeout_names_the_target_file(tmp_path):
    """timeouts.read = '15' (a string): the message names the file and the field."""
    path = tmp_path / "t.toml"
    path.write_text("[timeouts]\nread = '15'\n")
    with pytest.raises(UsageError) as caught:
        load_target(target_file=str(path), env={})
    assert str(path) in str(caught.value) and "timeouts.read" in str(caught.value), str(caught.value)
