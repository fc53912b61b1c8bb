"""A small, deterministic, OpenAI-compatible HTTP server (stdlib only, loopback only).

It lets a real Flowise answer predictions without any LLM or network access. The answer to a
prompt ``Q`` is always ``"Fake reply to: Q"`` (for multi-line prompts, ``Q`` is the last
non-empty line, so a prompt template that adds context lines still gives a predictable answer).

Routes
  POST /v1/completions        legacy completions API (what Flowise's ``openAI`` LLM node calls)
  POST /v1/chat/completions   chat completions API
  GET  /v1/models             a one-model list
  GET  /health                ``ok``

Both POST routes answer with JSON, or with server-sent events when the body has
``"stream": true``: one chunk per word (``"Fake"``, ``" reply"``, ``" to:"``, ...), a final
chunk with ``finish_reason: "stop"``, a usage chunk when ``stream_options.include_usage`` is
true, then ``data: [DONE]``.

Facts about the client (Flowise 3.1.4, ``openAI`` LLM node, @langchain/openai): it sends
``POST <basepath>/completions`` with ``prompt`` as a *list* of strings, ``stream: true`` unless the
node's ``streaming`` input is false, and reads ``choices[i].text`` / ``finish_reason``.

Trigger words inside the prompt, for error-path tests:
  __FAIL500__    HTTP 500 with an OpenAI-style error body
  __FAIL401__    HTTP 401 ``invalid_api_key``
  __FAIL429__    HTTP 429 ``rate_limit_exceeded``
  __MIDSTREAM__  (streaming) two word chunks, then the connection is closed without ``[DONE]``
  __SLOW__       wait 2 s before the answer (or before every streamed chunk)

Run: ``python fake_openai.py [--port 0] [--port-file F] [--watch-pid PID]``. With ``--port 0`` an
ephemeral port is chosen; ``--port-file`` receives the port once the socket is listening.
``--watch-pid`` makes the server exit on its own once that process is gone.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ID = "fake-gpt"
REPLY_PREFIX = "Fake reply to: "
SLOW_DELAY_S = 2.0
MAX_BODY_BYTES = 16 * 1024 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _new_id(prefix: str) -> str:
    with _ids_lock:
        return f"{prefix}-fc{next(_ids):08d}"


# --------------------------------------------------------------------------------------------
# The deterministic "model"
# --------------------------------------------------------------------------------------------

def _as_text(value) -> str:
    """Text of a prompt or message content (string, list of strings, or list of parts)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        pieces = []
        for item in value:
            if isinstance(item, str):
                pieces.append(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                pieces.append(item["text"])
        return " ".join(pieces)
    return str(value)


def prompt_of(body: dict) -> str:
    """The user's prompt: the last user message (chat) or the last prompt string (completions)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _as_text(message.get("content"))
        return ""
    prompt = body.get("prompt", "")
    if isinstance(prompt, list):
        prompt = prompt[-1] if prompt else ""
    return _as_text(prompt)


def reply_for(prompt: str) -> str:
    lines = [line for line in prompt.strip().splitlines() if line.strip()]
    return REPLY_PREFIX + (lines[-1].strip() if lines else "")


def words_of(reply: str) -> list[str]:
    """Split into streaming pieces: the first word bare, the others with their leading space."""
    parts = reply.split(" ")
    return [parts[0]] + [" " + p for p in parts[1:]]


def _usage(prompt: str, reply: str) -> dict:
    prompt_tokens = max(1, len(prompt.split()))
    completion_tokens = len(words_of(reply))
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _error_body(message: str, etype: str, code: str | None) -> dict:
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


FAILURES = {
    "__FAIL500__": (500, "The fake server had an error while processing your request.", "server_error", None),
    "__FAIL401__": (401, "Incorrect API key provided: sk-fake.", "invalid_request_error", "invalid_api_key"),
    "__FAIL429__": (429, "Rate limit reached for fake-gpt.", "requests", "rate_limit_exceeded"),
}


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

class FakeOpenAIHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "flowise-conformance-fake-openai/1"
    timeout = 60  # seconds of socket inactivity before a connection is dropped

    def log_message(self, fmt, *args):  # noqa: D401 - stdlib signature
        if getattr(self.server, "verbose", False):
            sys.stderr.write("[fake-openai] %s\n" % (fmt % args))

    # -- responses ---------------------------------------------------------------------------
    def _json(self, status: int, payload) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _event(self, payload) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self.wfile.write(b"data: " + text.encode("utf-8") + b"\n\n")
        self.wfile.flush()

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1/") else path

    # -- GET ---------------------------------------------------------------------------------
    def do_GET(self):  # noqa: N802 - stdlib naming
        route = self._route()
        if route == "/models":
            return self._json(200, {"object": "list", "data": [
                {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "flowise-conformance"}]})
        if route == "/health":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            return self.wfile.write(b"ok")
        return self._json(404, _error_body(f"Unknown path {self.path}", "invalid_request_error", None))

    # -- POST --------------------------------------------------------------------------------
    def do_POST(self):  # noqa: N802 - stdlib naming
        route = self._route()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._json(400, _error_body("Bad Content-Length", "invalid_request_error", None))
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return self._json(400, _error_body("Body must be a JSON object", "invalid_request_error", None))
        if route == "/chat/completions":
            return self._answer(body, chat=True)
        if route == "/completions":
            return self._answer(body, chat=False)
        return self._json(404, _error_body(f"Unknown path {self.path}", "invalid_request_error", None))

    def _answer(self, body: dict, chat: bool) -> None:
        prompt = prompt_of(body)
        for word, (status, message, etype, code) in FAILURES.items():
            if word in prompt:
                return self._json(status, _error_body(message, etype, code))
        slow = "__SLOW__" in prompt
        reply = reply_for(prompt)
        model = body.get("model") or MODEL_ID
        created = int(time.time())
        if body.get("stream"):
            return self._stream(body, chat, prompt, reply, model, created, slow)
        if slow:
            time.sleep(SLOW_DELAY_S)
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": reply, "refusal": None},
                      "logprobs": None, "finish_reason": "stop"}
            payload = {"id": _new_id("chatcmpl"), "object": "chat.completion", "created": created,
                       "model": model, "system_fingerprint": "fp_fc", "choices": [choice]}
        else:
            choice = {"index": 0, "text": reply, "logprobs": None, "finish_reason": "stop"}
            payload = {"id": _new_id("cmpl"), "object": "text_completion", "created": created,
                       "model": model, "choices": [choice]}
        payload["usage"] = _usage(prompt, reply)
        return self._json(200, payload)

    def _stream(self, body, chat, prompt, reply, model, created, slow) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        cid = _new_id("chatcmpl" if chat else "cmpl")
        base = {"id": cid, "object": "chat.completion.chunk" if chat else "text_completion",
                "created": created, "model": model}

        def chunk(piece: str | None, finish: str | None, role: bool = False) -> dict:
            if chat:
                delta = {}
                if role:
                    delta["role"] = "assistant"
                if piece is not None:
                    delta["content"] = piece
                choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            else:
                choice = {"index": 0, "text": piece or "", "logprobs": None, "finish_reason": finish}
            return dict(base, choices=[choice])

        try:
            if chat:
                self._event(chunk("", None, role=True))
            for i, piece in enumerate(words_of(reply)):
                if slow:
                    time.sleep(SLOW_DELAY_S)
                if i == 2 and "__MIDSTREAM__" in prompt:
                    self.wfile.flush()
                    self.connection.shutdown(2)  # abrupt end: no finish chunk, no [DONE]
                    return
                self._event(chunk(piece, None))
            self._event(chunk(None if chat else "", "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                self._event(dict(base, choices=[], usage=_usage(prompt, reply)))
            self._event("[DONE]")
        except OSError:  # client went away
            pass


class FakeOpenAIServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        if host not in LOOPBACK_HOSTS:
            raise ValueError("the fake OpenAI server listens on loopback only")
        self.verbose = verbose
        super().__init__((host, port), FakeOpenAIHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited but unreaped process (zombie) counts as gone
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _watch(server: FakeOpenAIServer, pid: int, interval: float = 1.0) -> None:
    while _pid_alive(pid):
        time.sleep(interval)
    server.shutdown()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Deterministic fake of the OpenAI API (loopback only).")
    ap.add_argument("--host", default="127.0.0.1", choices=LOOPBACK_HOSTS)
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--watch-pid", type=int, help="exit when this process is gone")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)
    server = FakeOpenAIServer(args.host, args.port, verbose=args.verbose)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(str(server.port))
        os.replace(tmp, args.port_file)
    print(f"fake OpenAI listening on http://{args.host}:{server.port}/v1", flush=True)
    if args.watch_pid:
        threading.Thread(target=_watch, args=(server, args.watch_pid), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
