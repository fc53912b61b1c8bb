"""The stateful run: scenarios that follow the spec's links (create -> get/update/delete/predict ...).

``state_machine()`` builds schemathesis' state machine from the spec (explicit links only: the
dependency inference that would link list answers to id operations is off) and adds:

- ``setup``/``teardown``: each scenario is one scope of the runtime; what it created (journaled by
  the after-call hook the moment its create answer arrived) is deleted when it ends, and nothing
  else. The hooks' guard keeps every id that the run does not own away from the server.
- the target's base URL and timeouts on every call, from the runtime the suite's fixture bound;
- the stateful check list: the MUST checks plus use_after_free (a deleted object is gone) and
  ensure_resource_availability (a created object can be fetched through its links).

Scenarios are generated from the fuzz seed and ``--fuzz-examples`` (``settings.stateful_examples``
scenarios of at most ``settings.stateful_steps`` calls), valid requests only (an invalid step ends
a chain at once, and invalid requests are the other modules' job).
"""
from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import hypothesis

from flowise_conformance.errors import HarnessError
from flowise_conformance.fuzz import runtime
from flowise_conformance.fuzz.checks import STATEFUL_CHECKS
from flowise_conformance.fuzz.schema import load_schema
from flowise_conformance.fuzz.settings import current


# One state machine per family of linked operations: with a small budget, a machine over all 39
# operations rarely completes a chain such as create -> delete -> get; a machine over one family does.
FAMILIES: dict[str, tuple[str, ...]] = {
    "chatflows": ("createChatflow", "getChatflow", "updateChatflow", "deleteChatflow", "getChatflowStreaming",
                  "getChatflowUploads"),
    "conversations": ("createChatflow", "createPrediction", "listChatMessages", "deleteChatMessages",
                      "createFeedback", "listFeedback", "updateFeedback"),
    "assistants": ("createAssistant", "getAssistant", "updateAssistant", "deleteAssistant"),
    "document_stores": ("createDocumentStore", "getDocumentStore", "updateDocumentStore", "deleteDocumentStore",
                        "listDocumentStoreChunks"),
    "tools": ("createTool", "getTool", "updateTool", "deleteTool"),
    "variables": ("createVariable", "updateVariable", "deleteVariable"),
}


@lru_cache(maxsize=1)
def _stateful_schema() -> Any:
    """One loaded schema for all families (each family is a filtered view of it)."""
    schema = load_schema(["positive"])
    schema.config.phases.stateful.enabled = True
    schema.config.phases.stateful.inference.algorithms = []  # the spec's links only
    return schema


def state_machine(family: str) -> type:
    """The unittest-style test case of one family's state machine (seeded, bounded)."""
    schema = _stateful_schema().include(operation_id=list(FAMILIES[family]))
    base = schema.as_state_machine()

    class FlowiseLinks(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            rt = runtime.current()
            if rt is None:
                raise HarnessError("the fuzz runtime is not bound (run the stateful test through pytest)")
            rt.begin(None, runnable_chatflows=family == "conversations")

        def teardown(self) -> None:
            rt = runtime.current()
            problems = rt.end() if rt is not None else []
            if problems:  # left journaled: the session's cleanup and the final sweep retry them
                warnings.warn(f"fuzz cleanup left objects for the final sweep: {'; '.join(problems)}", stacklevel=1)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            rt = runtime.current()
            assert rt is not None
            return rt.call_kwargs()

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            __tracebackhide__ = True
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs or None,
                                   recorder=self.recorder)

    settings = current()
    hypothesis.seed(settings.seed)(FlowiseLinks)  # read from the machine class by run_state_machine_as_test
    FlowiseLinks.__name__ = FlowiseLinks.__qualname__ = f"{family.title().replace('_', '')}Links"
    test_case = FlowiseLinks.TestCase
    test_case.settings = hypothesis.settings(
        max_examples=settings.stateful_examples,
        stateful_step_count=settings.stateful_steps,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking (bounded runs)
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    return test_case
