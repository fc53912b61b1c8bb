"""Loading the shipped spec for schemathesis, configured for this suite.

``load_schema(modes)`` is called at import time by each fuzz module (module-level
``@schema.parametrize()`` needs the schema before collection). It makes no network call: the
base URL, the key and the timeouts are the target's and come in at call time
(``FuzzCall``, ``get_call_kwargs``), from the plugin's ``target`` fixture.

Configuration (same everywhere, so the same seed gives the same requests):
  - seed from ``--seed``; no example database; no shrinking (a failure is reported as found,
    which keeps a run against a slow or hanging server bounded);
  - phases: examples (the spec's own examples), fuzzing (``--fuzz-examples`` cases per
    operation) and coverage (boundary values; its invalid cases only with ``--fuzz-deep``);
  - the API key through a schema-local auth provider, only on operations that need one, so
    public operations are fuzzed as an anonymous client would call them and ``ignored_auth``
    can probe the protected ones without it;
  - the hooks of runtime.py (pins, names, safety, journaling), acting on this suite's schemas only.
"""
from __future__ import annotations

from typing import Any

import hypothesis
import schemathesis
from schemathesis.config._health_check import HealthCheck
from schemathesis.config._output import SanitizationConfig

from flowise_conformance.fuzz import runtime, strategies
from flowise_conformance.spec_model import by_label
from flowise_conformance.fuzz.settings import current
from flowise_conformance.paths import spec_file
from flowise_conformance.spec import load_spec


# Each item's objects belong to the item (the fuzz_scope fixture), not to one example, on purpose.
item_settings = hypothesis.settings(suppress_health_check=[
    hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow,
    hypothesis.HealthCheck.filter_too_much, hypothesis.HealthCheck.data_too_large,
])


class ApiKeyAuth:
    """Bearer API key of the target, for operations whose security needs it."""

    def get(self, case: Any, ctx: Any) -> str | None:
        return runtime.api_key()

    def set(self, case: Any, data: str | None, ctx: Any) -> None:
        operation = by_label().get(case.operation.label)
        if not data or (operation is not None and operation.public):
            return
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def load_schema(modes: list[str]) -> Any:
    """The spec as a schemathesis schema generating ``modes`` ("positive", "negative")."""
    strategies.register()
    settings = current()
    schema = schemathesis.openapi.from_path(str(spec_file()), config=schemathesis.Config())
    schema.config.seed = settings.seed
    schema.config.generation.update(
        modes=modes,
        max_examples=settings.examples,
        database="none",
        no_shrink=True,
        deterministic=False,
        # The key comes from the auth provider only: generated Authorization values would all be
        # 401s that never reach the operation. A missing or wrong key is ignored_auth's job.
        with_security_parameters=False,
    )
    # The coverage phase is not bounded by max_examples: its valid boundary cases are cheap (about
    # 340 requests), its invalid ones are not (about 1,100 per module); those run with --fuzz-deep.
    coverage_modes = [m for m in modes if m == "positive" or settings.deep]
    # the spec's examples are valid requests: a negative-only module has no use for them
    phases = (["examples"] if "positive" in modes else []) + ["fuzzing"] + (["coverage"] if coverage_modes else [])
    schema.config.phases.update(phases=phases)
    if coverage_modes:
        schema.config.phases.coverage.generation.update(modes=coverage_modes, with_security_parameters=False)
    schema.config.phases.coverage.unexpected_methods = set()  # 405 probes: not part of the contract
    schema.config.update(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])
    # Reproductions filter the Authorization header only (the plugin redacts the key everywhere):
    # schemathesis' default also filters any field named like *key*, *session*, *credential*,
    # which would turn the chatflow's apikeyid, a sessionId or an assistant's credential in a
    # curl command into "[Filtered]" and the command into a different request.
    schema.config.output.sanitization = SanitizationConfig(
        keys_to_sanitize=("authorization", "proxy-authorization", "cookie", "set-cookie"),
        sensitive_markers=("authorization",),
    )
    schema.auth(refresh_interval=None)(ApiKeyAuth)
    schema.hook("after_call")(runtime.after_call)
    _register_before_call()
    return schema


_before_call_registered = False


def _register_before_call() -> None:
    """schemathesis only has a process-global before_call; it acts on this suite's schemas only."""
    global _before_call_registered
    if _before_call_registered:
        return

    title = load_spec()["info"]["title"]

    def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        raw = getattr(case.operation.schema, "raw_schema", None) or {}
        if isinstance(raw, dict) and (raw.get("info") or {}).get("title") == title:
            runtime.before_call(context, case, kwargs)

    schemathesis.hook("before_call")(before_call)
    _before_call_registered = True
