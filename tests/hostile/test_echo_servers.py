"""Servers that put dangerous text into valid answers: no piece of the key, no control character leaks.

Each test runs the CLI as a user would (``--profile core``: every failure carries a
transcript) against a server from echo_servers.py and searches everything the run wrote:
every file under its directory (reports, Allure results, the journal) and the terminal.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from urllib.parse import quote

from flowise_conformance.redact import PIECE, REDACTED
from tests.hostile.echo_servers import CONTROLS, EchoServer, go_json
from tests.safety_support import cli_env, finish, start_cli

KEY = "fcK+y/9Qz&Lm<Wx=Rt'7Vb"  # 22 characters that URL, JSON, HTML and repr encode differently
RUN_ID = "20260101-000000-ec4011"
BOUND_S = 300


def key_pieces() -> set[str]:
    """Every PIECE-long run of the key as it is, and as the echo server and the suite encode it."""
    forms = {KEY, quote(KEY, safe=""), json.dumps(KEY)[1:-1], go_json(KEY)[1:-1],
             json.dumps(KEY)[1:-1].replace("/", "\\/"), repr(KEY)[1:-1]}
    return {f[i:i + PIECE] for f in forms for i in range(len(f) - PIECE + 1)}


def run_cli(server: EchoServer, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    args = ["run", "--base-url", server.base_url, "--report-dir", str(tmp_path / "reports"), "--run-id", RUN_ID,
            "--alluredir", str(tmp_path / "allure"), "--profile", "core", "-p", "no:xdist", *extra]
    return finish(start_cli(args, tmp_path / "cwd", cli_env(KEY)), timeout=BOUND_S)


def outputs(tmp_path: Path, out: str, err: str) -> dict[str, str]:
    """Every file the run wrote (by path) and the terminal."""
    found = {str(p.relative_to(tmp_path)): p.read_bytes().decode("utf-8", "replace")
             for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    return {**found, "stdout": out, "stderr": err}


def test_a_key_echoing_server_leaves_no_piece_of_the_key_in_any_output(tmp_path):
    """A server echoing the Authorization header (as is, \\u0026- and \\/-escaped, URL-encoded, cut anywhere):
    0 runs of PIECE characters of the key in any file the run writes or on the terminal."""
    with EchoServer(echo_key=True) as server:
        code, out, err = run_cli(server, tmp_path)
    texts = outputs(tmp_path, out, err)
    needles = key_pieces()
    leaks = {where: n for where, text in texts.items() if (n := sum(text.count(p) for p in needles))}
    summary = json.loads((tmp_path / "reports" / RUN_ID / "summary.json").read_text())
    echoed = [t for t in summary["tests"] if f"Bearer {REDACTED}" in t.get("transcript", "").split("< 500", 1)[-1]]
    print(f"key echo: exit {code}; {len(texts) - 2} files + terminal searched; {server.requests} requests; "
          f"{len(echoed)} transcripts show the echo; pieces of the key found: {sum(leaks.values())} {leaks}")
    assert code == 1, f"Expected exit 1 (failures)\nReceived: {code}\n{err[-2000:]}"
    assert echoed, "Expected transcripts that show the server's echo (redacted): the test proves nothing"
    assert any(p.endswith("-result.json") for p in texts), "Expected Allure results: the test proves nothing"
    assert leaks == {}, f"Expected no piece of the key in any output\nReceived (where: count): {leaks}"


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_server_text_reaches_the_terminal_without_control_characters(tmp_path):
    """Escape sequences in answers and in the server version (clear screen, window title, OSC 8 link, cursor
    query, C1 CSI) are shown escaped on the terminal: not one control character but newline and tab."""
    with EchoServer(controls=True) as server:
        code, out, err = run_cli(server, tmp_path, "-rA")
    found = {where: sorted({repr(c) for c in CONTROL.findall(text)}) for where, text in (("stdout", out), ("stderr", err))}
    found = {k: v for k, v in found.items() if v}
    print(f"controls: exit {code}; control characters on the terminal: {found}")
    assert code == 1, f"Expected exit 1 (failures)\nReceived: {code}\n{err[-2000:]}"
    assert "server version: 3.1.4\\x1b[2J" in out, f"Expected the server version, escaped\nReceived: {out[-1500:]}"
    assert "\\x1b]0;fc-owned-title" in out, "Expected the server's answers on the terminal: the test proves nothing"
    assert found == {}, f"Expected no control character on the terminal\nReceived: {found}"
    assert CONTROLS not in out
