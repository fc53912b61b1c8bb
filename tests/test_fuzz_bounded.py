"""The fuzz transport: a streamed prediction Flowise never answers fails alone, without giving up on the target."""
from __future__ import annotations

import socket
import threading

import pytest
import requests

from flowise_conformance.client import HEALTH, TargetMisbehaved
from flowise_conformance.fuzz.bounded import BoundedSession, _asks_for_a_stream


@pytest.fixture
def silent_origin():
    """A loopback server that accepts requests and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.getsockname()[1]}"
    HEALTH.ok(origin)
    yield origin
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()
    HEALTH.ok(origin)


@pytest.mark.parametrize("body, streams", [
    (b'{"question": "q", "streaming": true}', True),
    (b'{"question":"q","streaming":true}', True),
    (b'--b\r\nContent-Disposition: form-data; name="streaming"\r\n\r\ntrue\r\n--b--\r\n', True),
    (b'{"question": "q", "streaming": false}', False),
    (b'{"question": "streaming: true"}', False),
    (None, False),
])
def test_streamed_requests_are_recognised(body, streams):
    """A JSON "streaming": true or a form field streaming=true asks for a stream; nothing else does."""
    prepared = requests.Request("POST", "http://127.0.0.1:1/api/v1/prediction/x", data=body).prepare()
    assert _asks_for_a_stream(prepared) is streams


def _post(session: BoundedSession, origin: str, body: bytes) -> None:
    with pytest.raises(TargetMisbehaved, match="timed out|Timeout"):
        session.post(f"{origin}/api/v1/prediction/x", data=body, timeout=(1, 0.3),
                     headers={"Content-Type": "application/json"})


def test_unanswered_streamed_predictions_do_not_make_the_run_give_up(silent_origin):
    """Two unanswered streaming requests in a row fail themselves; the next request is still sent."""
    session = BoundedSession(silent_origin, request_timeout=2)
    for _ in range(3):
        _post(session, silent_origin, b'{"question": "q", "streaming": true}')
    HEALTH.check(silent_origin)  # not given up


def test_unanswered_plain_requests_still_make_the_run_give_up(silent_origin):
    """The give-up rule stays for everything else: after two timeouts in a row nothing more is sent."""
    session = BoundedSession(silent_origin, request_timeout=2)
    for _ in range(2):
        _post(session, silent_origin, b'{"question": "q"}')
    with pytest.raises(TargetMisbehaved, match="not sent"):
        HEALTH.check(silent_origin)
