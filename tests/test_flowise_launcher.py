"""Tests of the Flowise launcher (flowise_conformance.flowise_launcher).

Everything here stays on loopback and needs no npm registry, except the opt-in real test
(``FC_REAL_FLOWISE=1``) which installs (if needed), starts and stops a real Flowise.
"""
from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from flowise_conformance.flowise_launcher import cli, flows, install as install_mod, instance
from flowise_conformance.flowise_launcher.fake_openai import FakeOpenAIServer, reply_for, words_of
from flowise_conformance.flowise_launcher.install import LauncherError

TIMEOUT = httpx.Timeout(10.0)


# --------------------------------------------------------------------------------------------
# fake OpenAI
# --------------------------------------------------------------------------------------------

@pytest.fixture()
def fake():
    server = FakeOpenAIServer(port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=TIMEOUT, trust_env=False) as client:
            yield client
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _sse_payloads(text: str) -> list:
    out = []
    for block in text.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        assert block.startswith("data: "), block
        data = block[len("data: "):]
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


def test_fake_completions_non_streaming(fake):
    # the shape Flowise's openAI LLM node sends (prompt is a list)
    r = fake.post("/completions", json={"model": "fake-gpt", "temperature": 0, "n": 1, "stream": False,
                                        "prompt": ["hello there"]})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "text_completion"
    assert body["choices"][0]["text"] == "Fake reply to: hello there"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]


def test_fake_completions_streaming_word_by_word(fake):
    r = fake.post("/completions", json={"model": "fake-gpt", "n": 1, "stream": True, "prompt": ["hi you"]})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _sse_payloads(r.text)
    assert events[-1] == "[DONE]"
    pieces = [e["choices"][0]["text"] for e in events[:-1] if e["choices"][0]["finish_reason"] is None]
    assert pieces == ["Fake", " reply", " to:", " hi", " you"]
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


def test_fake_chat_non_streaming(fake):
    r = fake.post("/chat/completions", json={"model": "m", "messages": [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "what?"}]})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "m"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Fake reply to: what?", "refusal": None}


def test_fake_chat_streaming_with_usage(fake):
    r = fake.post("/chat/completions", json={
        "model": "fake-gpt", "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": [{"type": "text", "text": "multi part"}]}]})
    events = _sse_payloads(r.text)
    assert events[-1] == "[DONE]"
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1] if e["choices"])
    assert text == "Fake reply to: multi part"
    assert events[-2]["choices"] == [] and events[-2]["usage"]["completion_tokens"] == 5
    assert all(e["object"] == "chat.completion.chunk" for e in events[:-1])


def test_fake_error_triggers_and_misc_routes(fake):
    r = fake.post("/completions", json={"prompt": ["x __FAIL401__"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    chat = {"messages": [{"role": "user", "content": "__FAIL500__"}]}
    assert fake.post("/chat/completions", json=chat).status_code == 500
    assert fake.post("/completions", json={"prompt": "__FAIL429__"}).status_code == 429
    bad = fake.post("/completions", content=b"not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    assert fake.post("/nope", json={}).status_code == 404
    assert fake.get("/models").json()["data"][0]["id"] == "fake-gpt"
    assert fake.get("/health").text == "ok"


def test_fake_midstream_drop(fake):
    r = fake.post("/completions", json={"stream": True, "prompt": ["__MIDSTREAM__ please"]})
    events = _sse_payloads(r.text)
    assert "[DONE]" not in events
    assert [e["choices"][0]["text"] for e in events] == ["Fake", " reply"]


def test_reply_helpers():
    assert reply_for("Q") == "Fake reply to: Q"
    assert reply_for("context line\n\nthe question \n") == "Fake reply to: the question"
    assert words_of("Fake reply to: a b") == ["Fake", " reply", " to:", " a", " b"]


def test_fake_subprocess_port_file_and_watch_pid(tmp_path):
    """As the launcher runs it: --port 0, --port-file, and exit once the watched pid is gone."""
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    port_file = tmp_path / "port"
    script = Path(instance.FAKE_OPENAI_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), "--port", "0", "--port-file", str(port_file),
                             "--watch-pid", str(watched.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(port_file.read_text())
        r = httpx.post(f"http://127.0.0.1:{port}/v1/completions", json={"prompt": ["sub"]}, timeout=TIMEOUT,
                       trust_env=False)
        assert r.json()["choices"][0]["text"] == "Fake reply to: sub"
        watched.kill()
        watched.wait(timeout=5)
        assert proc.wait(timeout=10) == 0
    finally:
        for p in (watched, proc):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)


# --------------------------------------------------------------------------------------------
# flows
# --------------------------------------------------------------------------------------------

def test_agentflow_is_valid_json_with_direct_reply_input_param():
    body = flows.chatflow_body("x", flows.echo_agentflow(), "AGENTFLOW")
    assert body["type"] == "AGENTFLOW"
    data = json.loads(body["flowData"])
    nodes = {n["id"]: n for n in data["nodes"]}
    reply = next(n for n in data["nodes"] if n["data"]["name"] == "directReplyAgentflow")
    assert reply["data"]["inputs"]["directReplyMessage"] == "Echo: {{ question }}"
    params = {p["name"]: p for p in reply["data"]["inputParams"]}
    assert params["directReplyMessage"]["acceptVariable"] is True
    start = next(n for n in data["nodes"] if n["data"]["name"] == "startAgentflow")
    assert start["data"]["inputs"]["startInputType"] == "chatInput"
    (edge,) = data["edges"]
    assert edge["source"] == start["id"] and edge["target"] == reply["id"]
    assert edge["sourceHandle"] in [a["id"] for a in nodes[edge["source"]]["data"]["outputAnchors"]]


def test_chatflow_is_valid_json_and_wired():
    flow = flows.fake_llm_chatflow("http://127.0.0.1:9/v1", "cred-1")
    data = json.loads(flows.chatflow_body("x", flow, "CHATFLOW")["flowData"])
    nodes = {n["id"]: n["data"] for n in data["nodes"]}
    llm = next(d for d in nodes.values() if d["name"] == "openAI")
    assert llm["inputs"]["basepath"] == "http://127.0.0.1:9/v1"
    assert llm["credential"] == "cred-1"
    assert "streaming" not in llm["inputs"]
    chain = next(d for d in nodes.values() if d["name"] == "llmChain")
    assert chain["inputs"]["model"] == "{{openAI_0.data.instance}}"
    assert chain["inputs"]["prompt"] == "{{promptTemplate_0.data.instance}}"
    assert chain["outputs"] == {"output": "llmChain"}
    for edge in data["edges"]:
        out_ids = []
        for anchor in nodes[edge["source"]]["outputAnchors"]:
            out_ids += [anchor["id"]] if "id" in anchor else [o["id"] for o in anchor["options"]]
        assert edge["sourceHandle"] in out_ids
        assert edge["targetHandle"] in [a["id"] for a in nodes[edge["target"]]["inputAnchors"]]
    not_streaming = flows.fake_llm_chatflow("http://x/v1", "c", streaming=False)
    assert not_streaming["nodes"][0]["data"]["inputs"]["streaming"] is False


# --------------------------------------------------------------------------------------------
# install (no network: npm is absent or a local stand-in)
# --------------------------------------------------------------------------------------------

FAKE_NPM = r"""#!/bin/sh
# stand-in for npm used by the tests: records its calls, fakes the files a real install creates
echo "$*" >> "$NPM_CALLS"
if [ -n "$NPM_FAIL" ]; then
  echo "npm error code E404" >&2
  echo "npm error 404 Not Found - GET https://registry.npmjs.org/flowise - refused" >&2
  exit 1
fi
case "$1" in
  install)
    if [ "$2" = "--prefix" ]; then
      mkdir -p "$3/node_modules/$NODE_PKG/bin"
      printf '#!/bin/sh\necho v24.0.0\n' > "$3/node_modules/$NODE_PKG/bin/node"
      chmod +x "$3/node_modules/$NODE_PKG/bin/node"
    else
      mkdir -p node_modules/.bin && : > node_modules/.bin/flowise && chmod +x node_modules/.bin/flowise
      for last; do :; done
      mkdir -p node_modules/flowise
      printf '{"name": "flowise", "version": "%s"}' "${FAKE_NPM_VERSION:-${last#flowise@}}" > node_modules/flowise/package.json
    fi ;;
esac
exit 0
"""


@pytest.fixture()
def fake_npm(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npm = bindir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "calls"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("NPM_CALLS", str(calls))
    monkeypatch.setenv("NODE_PKG", install_mod.node_package_name())
    monkeypatch.delenv("NPM_FAIL", raising=False)
    monkeypatch.delenv("FAKE_NPM_VERSION", raising=False)
    return calls


def test_install_without_npm_is_a_clear_error(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(LauncherError, match="npm not found on PATH"):
        install_mod.install("3.1.4", tmp_path / "cache", log=lambda m: None)


def test_cli_install_without_npm_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code = cli.main(["install", "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "npm not found" in err and "Traceback" not in err


def test_install_runs_three_steps_then_is_idempotent(tmp_path, fake_npm):
    messages: list[str] = []
    inst = install_mod.install("3.1.4", tmp_path / "cache", log=messages.append)
    calls = fake_npm.read_text().splitlines()
    assert len(calls) == 3
    assert calls[0].startswith("install --prefix") and calls[0].endswith("@24")
    assert "--ignore-scripts" in calls[1] and calls[1].endswith("flowise@3.1.4")
    assert calls[2].startswith("rebuild") and calls[2].endswith("sqlite3")
    assert inst.is_complete()
    assert sum(m.startswith("[") for m in messages) >= 3  # a progress line per step
    messages.clear()
    install_mod.install("3.1.4", tmp_path / "cache", log=messages.append)
    assert len(fake_npm.read_text().splitlines()) == 3  # nothing ran
    assert any("already installed" in m and "nothing to do" in m for m in messages)


def test_install_refuses_a_flowise_of_another_version(tmp_path, fake_npm, monkeypatch):
    """If npm puts another flowise version in place than the one asked for, install fails saying so."""
    monkeypatch.setenv("FAKE_NPM_VERSION", "3.1.5")
    with pytest.raises(LauncherError, match="npm installed flowise 3.1.5, not 3.1.4"):
        install_mod.install("3.1.4", tmp_path / "cache", log=lambda m: None)


def test_install_registry_refusal_is_one_line(tmp_path, fake_npm, monkeypatch):
    monkeypatch.setenv("NPM_FAIL", "1")
    with pytest.raises(LauncherError) as info:
        install_mod.install("3.1.4", tmp_path / "cache", log=lambda m: None)
    message = str(info.value)
    assert "404 Not Found" in message and "\n" not in message


def test_install_rejects_bad_version(tmp_path):
    with pytest.raises(LauncherError, match="invalid flowise version"):
        install_mod.install("--evil", tmp_path, log=lambda m: None)


def test_default_cache_dir_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert install_mod.default_cache_dir() == tmp_path / "flowise-conformance"


# --------------------------------------------------------------------------------------------
# instance helpers and CLI wiring (no flowise needed)
# --------------------------------------------------------------------------------------------

def test_start_without_install_and_no_auto_install(tmp_path):
    with pytest.raises(LauncherError, match="not installed"):
        instance.start("3.1.4", cache_dir=tmp_path, auto_install=False, log=lambda m: None)


def test_target_toml_is_parseable():
    tomllib = pytest.importorskip("tomllib")
    inst = instance.Instance(version="3.1.4", base_url="http://127.0.0.1:1", port=1, api_key='k"e\\y',
                             api_key_id="i", chatflow_id="c", agentflow_id="a", credential_id="cr",
                             data_dir="/tmp/x", target_file="/tmp/x/t.toml", state_file="/tmp/s.json",
                             flowise_pid=1, fake_pid=2, fake_port=3, fake_base_url="http://127.0.0.1:3/v1")
    doc = tomllib.loads(instance.target_toml(inst))
    assert doc == {"name": "flowise-3.1.4", "base_url": "http://127.0.0.1:1", "api_key": 'k"e\\y',
                   "fixtures": {"chatflow_id": "c", "agentflow_id": "a"}}


def test_stop_kills_recorded_process_group_and_removes_data_dir(tmp_path):
    data_dir = tmp_path / "flowise-3.1.4-1-abc"
    data_dir.mkdir()
    script = tmp_path / "fake_openai_standin.py"
    script.write_text("import time\nwhile True: time.sleep(0.2)\n")
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    target = tmp_path / "t.toml"
    target.write_text("x")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"base_url": "http://127.0.0.1:1", "flowise_pid": 0, "fake_pid": proc.pid,
                                 "data_dir": str(data_dir), "target_file": str(target)}))
    try:
        assert instance.stop(state, log=lambda m: None) is True
        assert proc.wait(timeout=10) is not None
        assert not data_dir.exists() and not target.exists() and not state.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_stop_refuses_a_foreign_process(tmp_path):
    """A recycled pid whose command line does not look like ours is left alone."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"flowise_pid": proc.pid, "fake_pid": 0, "data_dir": ""}))
    try:
        assert instance.stop(state, log=lambda m: None) is False
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=5)


def test_stop_missing_state_is_exit_2(tmp_path, capsys):
    assert cli.main(["stop", "--state", str(tmp_path / "nope.json")]) == 2
    assert "no such state file" in capsys.readouterr().err


def test_add_subparser_wires_commands():
    parser = argparse.ArgumentParser(prog="flowise-conformance")
    add = parser.add_subparsers(dest="command")
    cli.add_subparser(add)
    args = parser.parse_args(["flowise", "start", "--port", "3999", "--target-out", "t.toml", "--env", "A=b"])
    assert args.func is cli.cmd_start or args.func.__name__ == "cmd_start"
    assert (args.port, args.target_out, args.env, args.version) == (3999, "t.toml", [("A", "b")], "3.1.4")
    args = parser.parse_args(["flowise", "stop", "--all"])
    assert args.all and args.func.__name__ == "cmd_stop"
    args = parser.parse_args(["flowise", "install", "--cache-dir", "/tmp/c"])
    assert args.cache_dir == "/tmp/c" and args.func.__name__ == "cmd_install"
    with pytest.raises(SystemExit):
        parser.parse_args(["flowise", "stop"])  # --state or --all is required


def test_flowise_commands_run_from_the_main_cli(tmp_path, capsys):
    """`flowise-conformance flowise stop --state FILE` reaches the launcher (exit 2 for a missing state
    file, its own one-line message), not "unknown command"."""
    from flowise_conformance import cli as main_cli

    code = main_cli.main(["flowise", "stop", "--state", str(tmp_path / "none.json")])
    err = capsys.readouterr().err
    assert code == 2 and "unknown command" not in err and "none.json" in err, err


def _flowise_run_args(monkeypatch, tmp_path, *argv):  # noqa: ANN001, ANN202
    """What `run --flowise 3.1.4 ARGV` hands to the target run (the launcher replaced by a stub)."""
    import contextlib

    import flowise_conformance.flowise_launcher as launcher
    from flowise_conformance import cli as main_cli

    @contextlib.contextmanager
    def fake_run_with_flowise(version):  # noqa: ANN001, ANN202
        yield tmp_path / "target.toml"

    seen = {}
    monkeypatch.setattr(launcher, "run_with_flowise", fake_run_with_flowise)
    monkeypatch.setattr(main_cli, "_run_target", lambda args, rest: seen.update(vars(args)) or 0)
    parser = main_cli.build_parser()
    args, rest = parser.parse_known_args(["run", "--flowise", "3.1.4", *argv])
    assert main_cli._run_with_flowise(args, rest) == 0
    return seen


def test_flowise_run_uses_the_shipped_expectations_strictly(monkeypatch, tmp_path):
    """`run --flowise 3.1.4` gates with expectations/flowise-3.1.4.toml and strict levels: an unlisted
    SHOULD failure fails the run, so removing any one entry makes it exit 1."""
    seen = _flowise_run_args(monkeypatch, tmp_path)
    assert [Path(f).name for f in seen["expectations"]] == ["flowise-3.1.4.toml"]
    assert seen["strict_levels"] is True
    assert seen["target"] == str(tmp_path / "target.toml")


def test_flowise_run_with_own_expectations_is_strict_too(monkeypatch, tmp_path):
    """A user's own expectations file replaces the shipped one; the run is still strict."""
    mine = tmp_path / "mine.toml"
    seen = _flowise_run_args(monkeypatch, tmp_path, "--expectations", str(mine))
    assert seen["expectations"] == [str(mine)] and seen["strict_levels"] is True


# --------------------------------------------------------------------------------------------
# opt-in: a real Flowise (FC_REAL_FLOWISE=1; installs ~3 GB into the cache dir if needed)
# --------------------------------------------------------------------------------------------

@pytest.mark.skipif(os.environ.get("FC_REAL_FLOWISE") != "1", reason="set FC_REAL_FLOWISE=1 to run a real Flowise")
def test_real_flowise_round_trip():
    tomllib = pytest.importorskip("tomllib")
    version = os.environ.get("FC_FLOWISE_VERSION", install_mod.DEFAULT_VERSION)
    with instance.run_with_flowise(version) as target_path:
        target = tomllib.loads(target_path.read_text())
        assert stat.S_IMODE(target_path.stat().st_mode) == 0o600
        data_dir = target_path.parent
        fixtures = target["fixtures"]
        headers = {"Authorization": f"Bearer {target['api_key']}"}
        with httpx.Client(base_url=target["base_url"] + "/api/v1", headers=headers, timeout=httpx.Timeout(60.0),
                          trust_env=False) as api:
            listed = api.get("/chatflows")
            assert listed.status_code == 200
            assert {fixtures["chatflow_id"], fixtures["agentflow_id"]} <= {f["id"] for f in listed.json()}
            r = api.post(f"/prediction/{fixtures['chatflow_id']}", json={"question": "real"})
            assert r.status_code == 200 and r.json()["text"] == "Fake reply to: real"
            r = api.post(f"/prediction/{fixtures['agentflow_id']}", json={"question": "real"})
            assert r.status_code == 200 and r.json()["text"] == "Echo: real"
            tokens = []
            with api.stream("POST", f"/prediction/{fixtures['chatflow_id']}",
                            json={"question": "streamed words", "streaming": True}) as resp:
                assert resp.headers["content-type"].startswith("text/event-stream")
                for line in resp.iter_lines():
                    if line.startswith("data:"):
                        event = json.loads(line[len("data:"):])
                        if event["event"] == "token":
                            tokens.append(event["data"])
            assert tokens == ["Fake", " reply", " to:", " streamed", " words"]
        state = json.loads(Path(
            next(p for p in instance.state_dir().glob("flowise-*.json")
                 if json.loads(p.read_text()).get("target_file") == str(target_path))).read_text())
    assert not data_dir.exists()
    for pid in (state["flowise_pid"], state["fake_pid"]):
        assert not instance._group_members(pid)
    with pytest.raises(httpx.HTTPError):
        httpx.get(target["base_url"] + "/api/v1/ping", timeout=2.0, trust_env=False)


def test_a_start_failure_shows_the_first_error_line_above_the_stack(tmp_path):
    """When Flowise dies with a long stack trace, the message still names the error itself."""
    log = tmp_path / "server.log"
    log.write_text("booting\n2026 [ERROR]: Cannot find module 'x-azure'\n" + "\n".join(f"    at frame {i}" for i in range(40)))
    tail = instance._tail(log).splitlines()
    assert tail[0] == "2026 [ERROR]: Cannot find module 'x-azure'" and tail[-1] == "    at frame 39"
    log.write_text("short\nError: boom\n    at a")
    assert instance._tail(log) == "short\nError: boom\n    at a"
