"""Linked scenarios over the spec's links (schemathesis state machine).

A chatflow, tool, variable, assistant or document store that was just created can be read,
updated and deleted through the ids its create answer gave; a deleted one is gone (404);
predictions on a created chatflow store messages that can be listed and rated. Every answer
along the way gets the MUST checks of the per-operation items. Each scenario deletes what it
created, and only that.
"""
from __future__ import annotations

import pytest

from flowise_conformance.fuzz.stateful import state_machine

FC_FUZZ = True
pytestmark = [pytest.mark.level("MUST"), pytest.mark.resource("links"), pytest.mark.mutating]


@pytest.fixture(autouse=True)
def _runtime(fuzz_runtime):  # noqa: ANN001, ANN202 - binds the hooks' runtime for the unittest-style case
    yield fuzz_runtime


TestChatflowScenarios = state_machine("chatflows")
TestChatflowScenarios.__doc__ = "A created chatflow is readable, updatable and deletable by its id; deleted, it is gone."
TestConversationScenarios = state_machine("conversations")
TestConversationScenarios.__doc__ = "Predictions on a created chatflow store messages that can be listed, deleted and rated."
TestAssistantScenarios = state_machine("assistants")
TestAssistantScenarios.__doc__ = "A created assistant is readable, updatable and deletable by its id; deleted, it is gone."
TestDocumentStoreScenarios = state_machine("document_stores")
TestDocumentStoreScenarios.__doc__ = "A created document store is readable, updatable and deletable by its id; deleted, it is gone."
TestToolScenarios = state_machine("tools")
TestToolScenarios.__doc__ = "A created tool is readable, updatable and deletable by its id; deleted, it is gone."
TestVariableScenarios = state_machine("variables")
TestVariableScenarios.__doc__ = "A created variable is updatable and deletable by its id."
