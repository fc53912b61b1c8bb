"""No client the suite drives follows a redirect of a write: a 307 to another object is the answer.

A 307/308 repeats the PUT or DELETE at the Location, which can be another object of the same
target that the guard's check of the first URL never saw. Checked with the libraries' own
defaults (requests follows redirects, httpx is told to), inside an active guard, against a
reference server that answers every PUT/DELETE with a 307 to a user's variable.
"""
from __future__ import annotations

import httpx
import pytest
import requests

from flowise_conformance.plugins.safety import guard as guard_mod
from flowise_conformance.plugins.safety import transport
from tests.lying_support import Lies, LyingServer
from tests.safety_support import seed

KEY = "fc-redirect-key-5b20e7"


@pytest.fixture
def redirecting(tmp_path):
    """A server whose writes answer 307 to the user's variable, and an active guard for it."""
    with LyingServer(tmp_path, KEY, Lies()) as server:
        seed(server)
        variable = next(i for (k, i) in server.dump() if k == "variable")
        server.lies = Lies(redirect_writes_to=f"/api/v1/variables/{variable}")
        guard_mod.set_guard(guard_mod.Guard(server.base_url))
        transport.install_patches()
        try:
            server.raw_requests.clear()
            yield server, variable
        finally:
            transport.remove_patches()
            guard_mod.set_guard(None)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_requests_does_not_follow_a_redirected_write(redirecting, method):
    """requests (schemathesis, the Python SDK) gets the 307 back; the Location is never requested."""
    server, variable = redirecting
    with requests.Session() as session:
        response = session.request(method, f"{server.base_url}/api/v1/variables/fc-not-there", json={"value": "x"},
                                   headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert response.status_code == 307, f"Expected: the 307 itself\nReceived: {response.status_code}"
    assert [p for _, p in server.raw_requests] == ["/api/v1/variables/fc-not-there"], \
        f"Expected: one {method}, to the URL sent\nReceived: {server.raw_requests}"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_httpx_does_not_follow_a_redirected_write_even_when_told_to(redirecting, method):
    """An httpx client created with follow_redirects=True still gets the 307 of a write back."""
    server, variable = redirecting
    with httpx.Client(follow_redirects=True, timeout=10, trust_env=False) as client:
        response = client.request(method, f"{server.base_url}/api/v1/variables/fc-not-there",
                                  headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 307, f"Expected: the 307 itself\nReceived: {response.status_code}"
    assert [p for _, p in server.raw_requests] == ["/api/v1/variables/fc-not-there"], \
        f"Expected: one {method}, to the URL sent\nReceived: {server.raw_requests}"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_async_httpx_does_not_follow_a_redirected_write_even_when_told_to(redirecting, method):
    """The same for httpx.AsyncClient (its patched send once called itself: a RecursionError on every write)."""
    import asyncio

    server, variable = redirecting

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10, trust_env=False) as client:
            return await client.request(method, f"{server.base_url}/api/v1/variables/fc-not-there",
                                        headers={"Authorization": f"Bearer {KEY}"})

    response = asyncio.run(asyncio.wait_for(send(), 20))
    assert response.status_code == 307, f"Expected: the 307 itself\nReceived: {response.status_code}"
    assert [p for _, p in server.raw_requests] == ["/api/v1/variables/fc-not-there"], \
        f"Expected: one {method}, to the URL sent\nReceived: {server.raw_requests}"


def test_removing_the_patches_gives_httpx_and_requests_their_own_send_back():
    """After a run the libraries are as they were (a pytest run inside a process leaves nothing patched)."""
    before = httpx.Client.send, httpx.AsyncClient.send, requests.Session.send
    transport.install_patches()
    try:
        patched = httpx.Client.send, httpx.AsyncClient.send, requests.Session.send
    finally:
        transport.remove_patches()
    after = httpx.Client.send, httpx.AsyncClient.send, requests.Session.send
    assert all(p is not b for p, b in zip(patched, before)), "Expected: install_patches patches all three sends"
    assert after == before, f"Expected: the original sends back\nReceived: {after} (before: {before})"


def test_a_redirected_read_is_still_followed_when_asked(redirecting):
    """Only writes are held back: a GET a library is told to follow still follows (nothing changes)."""
    server, _ = redirecting
    server.lies = Lies(list_status={"/api/v1/tools": 307})
    with httpx.Client(follow_redirects=True, timeout=10, trust_env=False) as client:
        client.get(f"{server.base_url}/api/v1/tools", headers={"Authorization": f"Bearer {KEY}"})
    assert [p for _, p in server.raw_requests] == ["/api/v1/tools", "/api/v1/elsewhere"], server.raw_requests
