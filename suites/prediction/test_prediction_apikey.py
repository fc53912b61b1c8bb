"""Per-chatflow API key: a chatflow bound to the suite's key answers only requests carrying that key."""
from __future__ import annotations

import pytest

from flowise_conformance.checks import expect_equal, expect_json, expect_status
from flowise_conformance.crud import expect_error
from flowise_conformance.errors import HarnessError
from flowise_conformance.flows import echo_answer
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("prediction"), pytest.mark.mutating]


@pytest.fixture
def bound_chatflow(api, chatflow, suite_key_id) -> dict:
    """A chatflow the test created, then bound to the suite's key (PUT apikeyid = the key's id)."""
    response = api.put(item_path("chatflows", chatflow['id']), json={"apikeyid": suite_key_id})
    if response.status_code != 200:
        raise HarnessError(f"could not bind a chatflow to the suite's key: PUT answered {response.status_code}")
    return chatflow


@pytest.mark.source('docs', docs="POST /prediction/{id}: 401 'Unauthorized - API key required or invalid'", flowise='packages/server/src/utils/buildChatflow.ts: validateFlowAPIKey fails, the service rethrows it as 500')
@pytest.mark.level("MUST")
@pytest.mark.requires("apikey")
def test_bound_chatflow_without_key_is_401(anon, bound_chatflow):
    """A prediction without Authorization on a chatflow bound to a key is refused 401 with the error shape."""
    response = anon.post(item_path("prediction", bound_chatflow['id']), json={"question": "let me in", "streaming": False})
    expect_error(response, 401, why="a key-bound chatflow must refuse a request without its key")


@pytest.mark.source('docs', docs="POST /prediction/{id}: 401 'Unauthorized - API key required or invalid'", flowise='packages/server/src/utils/buildChatflow.ts: validateFlowAPIKey fails, the service rethrows it as 500')
@pytest.mark.level("MUST")
@pytest.mark.requires("apikey")
def test_bound_chatflow_with_wrong_key_is_401(anon, bound_chatflow):
    """A prediction with a wrong Bearer key on a chatflow bound to a key is refused 401 with the error shape."""
    headers = {"Authorization": "Bearer fc-wrong-key-0000000000000000"}
    response = anon.post(item_path("prediction", bound_chatflow['id']), json={"question": "let me in"}, headers=headers)
    expect_error(response, 401, why="a key-bound chatflow must refuse a request with another key")


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: 'API key may be required depending on flow settings' (bearerAuth)", flowise="packages/server/src/utils/validateKey.ts: validateFlowAPIKey accepts the chatflow's bound key")
@pytest.mark.level("MUST")
@pytest.mark.requires("apikey")
def test_bound_chatflow_with_its_key_is_answered(api, bound_chatflow):
    """A prediction with the bound key (Authorization: Bearer <key>) is answered 200 with the flow's reply."""
    response = api.post(item_path("prediction", bound_chatflow['id']), json={"question": "my key"})
    expect_status(response, 200)
    expect_equal(expect_json(response).get("text"), echo_answer("my key"), "The answer is not the flow's reply", response)


@pytest.mark.source('docs+flowise', docs="POST /prediction/{id}: 'API key may be required depending on flow settings'", flowise='packages/server/src/utils/validateKey.ts: a chatflow without apikeyid needs no key')
@pytest.mark.level("MUST")
def test_unbound_chatflow_is_answered_without_key(anon, chatflow):
    """A chatflow bound to no key is public: a prediction without Authorization is answered 200."""
    response = anon.post(item_path("prediction", chatflow['id']), json={"question": "open door"})
    expect_status(response, 200)
    expect_equal(expect_json(response).get("text"), echo_answer("open door"), "The answer is not the flow's reply", response)
