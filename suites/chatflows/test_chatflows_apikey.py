"""GET /chatflows/apikey/{apikey}: a key lists the chatflows bound to it and the unbound ones; a wrong key is 401."""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect_in, expect_json, expect_not_in, expect_status, expect_type
from flowise_conformance.crud import expect_error
from flowise_conformance.errors import HarnessError
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("chatflows")]


def _by_key(anon, key: str, **params) -> set[str]:
    """Ids listed for ``key`` (the key is only in the URL, which every report redacts)."""
    response = anon.get(item_path("chatflows/apikey", key), params=params)
    expect_status(response, 200)
    listed = expect_json(response)
    expect_type(listed, list, f"the answer must be a JSON array, got {type(listed).__name__}", response=response)
    return {f.get("id") for f in listed if isinstance(f, dict)}


def _bind(api, flow: dict, key_id: str) -> None:
    response = api.put(item_path("chatflows", flow['id']), json={"apikeyid": key_id})
    if response.status_code != 200:
        raise HarnessError(f"could not bind a chatflow to an API key: PUT answered {response.status_code}")


@pytest.fixture
def own_key(target) -> str:
    if not target.api_key:
        pytest.skip("the target has no API key configured")
    return target.api_key


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
def test_key_lists_unbound_chatflow(anon, chatflow, own_key):
    """The suite's key lists a chatflow bound to no key."""
    expect_in(chatflow["id"], _by_key(anon, own_key), "an unbound chatflow is missing from the key's list")


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.requires("apikey")
def test_key_lists_chatflow_bound_to_it(api, anon, chatflow, own_key, suite_key_id):
    """The suite's key lists a chatflow bound to it (apikeyid = the key's id)."""
    _bind(api, chatflow, suite_key_id)
    expect_in(chatflow["id"], _by_key(anon, own_key), "a chatflow bound to the key is missing from its list")


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.requires("apikey")
def test_keyonly_lists_only_chatflows_bound_to_the_key(api, anon, create_chatflow, own_key, suite_key_id):
    """With ?keyonly=true the key lists the chatflow bound to it and not the unbound one."""
    bound, unbound = create_chatflow(), create_chatflow()
    _bind(api, bound, suite_key_id)
    ids = _by_key(anon, own_key, keyonly="true")
    expect_in(bound["id"], ids, "keyonly=true left out the chatflow bound to the key")
    expect_not_in(unbound["id"], ids, "keyonly=true listed a chatflow bound to no key")


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
def test_chatflow_bound_to_another_key_is_not_listed(api, anon, chatflow, own_key):
    """A chatflow bound to another key id is not in the suite's key's list."""
    _bind(api, chatflow, str(uuid.uuid4()))
    expect_not_in(chatflow["id"], _by_key(anon, own_key), "a chatflow bound to another key is listed")


@pytest.mark.level("SHOULD")
def test_unknown_key_is_401(anon):
    """GET /chatflows/apikey/{apikey} with a key that does not exist answers 401 with the error shape."""
    expect_error(anon.get(f"chatflows/apikey/fc-not-a-key-{uuid.uuid4().hex}"), 401)
