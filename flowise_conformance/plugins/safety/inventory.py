"""The inventory: what is on the target before the run creates anything.

The guard refuses any write to an object listed here (guard.py); without the list it could
not tell the target's objects from the run's, so a failed listing stops the run (exit 2).
Taken once by the controller in pytest_configure; xdist workers get it from workers.py.
"""
from __future__ import annotations

from typing import Any

from flowise_conformance.errors import HarnessError
from flowise_conformance.plugins.safety.guard import collections

EXTRA_LISTS = {"apikey": "/api/v1/apikey", "credential": "/api/v1/credentials"}  # foreign ids only


class InventoryFailed(HarnessError):
    """The start-of-run list of the target's objects failed: the guard cannot know what is not the run's."""


def foreign_ids(target: Any) -> frozenset[str]:
    """Ids of what is on the target before the run creates anything (GETs of the collections).

    Raises InventoryFailed when a list the run writes to does not answer 200 with a list (an
    error, a redirect, a timeout): the guard would be blind. A 404/405 is accepted for collections
    the target declares unsupported. The lists of EXTRA_LISTS (API keys, credentials) are best
    effort: no write can reach them (the guard sends writes only to the spec's write operations),
    so whatever they answer does not stop the run.
    """
    from flowise_conformance.client import FlowiseClient
    from flowise_conformance.proof import listed

    best_effort = set(EXTRA_LISTS.values())
    from flowise_conformance.resources import owned

    # a target that declares a resource's capability false may have no such collection (its list may answer 404)
    optional = {r.collection for r in owned().values() if not target.supports(r.capability or r.kind)}
    found: set[str] = set()
    client = FlowiseClient(target)
    try:
        for path in list(collections()) + list(EXTRA_LISTS.values()):
            try:
                response = client.get(path)
            except Exception as exc:  # noqa: BLE001 - a timeout, a reset: the guard cannot know
                if path in best_effort:
                    continue
                raise InventoryFailed(_inventory_line(path, str(exc))) from None
            entries = listed(response)
            if entries is None and path in best_effort:
                continue
            if entries is None and path in optional and response.status_code in (404, 405):
                continue
            if entries is None:
                why = (f"answered {response.status_code}" + (" (a redirect)" if response.is_redirect else "")
                       if response.status_code != 200 else "did not answer a JSON list")
                raise InventoryFailed(_inventory_line(path, why))
            found.update(e["id"] for e in entries if isinstance(e.get("id"), str) and e["id"])
    finally:
        client.close()
    return frozenset(found)


def _inventory_line(path: str, why: str) -> str:
    return (f"cannot list what is on the target before the run: GET {path} {why}; without that list the run "
            "cannot tell the target's objects from its own, so it sends nothing (fix the target, or use --read-only)")

