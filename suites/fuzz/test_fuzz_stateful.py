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
pytestmark = [
    pytest.mark.level("MUST"), pytest.mark.resource("links"), pytest.mark.mutating,
    # every scenario is the same requirement: what a create answers can be used by id, and a
    # deleted object is gone (the per-operation answers get the MUST checks of test_fuzz_operations)
    pytest.mark.source(
        "docs+flowise",
        docs="introduction: 404 Not Found - Resource does not exist; each resource's create returns the "
             "object with its id, which GET/PUT/DELETE /<resource>/{id} of the API reference take",
        flowise="observed 3.1.4: the ids a create answers are accepted by get/update/delete; a deleted "
                "object is not found (answered 404 or 500, the 500 listed as a deviation)",
    ),
]


@pytest.fixture(autouse=True)
def _runtime(fuzz_runtime):  # noqa: ANN001, ANN202 - binds the hooks' runtime for the unittest-style case
    yield fuzz_runtime


# Classes (not assignments) with a test_ method, so the ids are visible to tools that read the
# sources without importing them (expectations, selection): <file>::TestXScenarios::test_scenarios.


class TestChatflowScenarios(state_machine("chatflows")):
    def test_scenarios(self) -> None:
        """A created chatflow is readable, updatable and deletable by its id; deleted, it is gone."""
        self.runTest()


class TestConversationScenarios(state_machine("conversations")):
    def test_scenarios(self) -> None:
        """Predictions on a created chatflow store messages that can be listed, deleted and rated."""
        self.runTest()


class TestAssistantScenarios(state_machine("assistants")):
    def test_scenarios(self) -> None:
        """A created assistant is readable, updatable and deletable by its id; deleted, it is gone."""
        self.runTest()


class TestDocumentStoreScenarios(state_machine("document_stores")):
    def test_scenarios(self) -> None:
        """A created document store is readable, updatable and deletable by its id; deleted, it is gone."""
        self.runTest()


class TestToolScenarios(state_machine("tools")):
    def test_scenarios(self) -> None:
        """A created tool is readable, updatable and deletable by its id; deleted, it is gone."""
        self.runTest()


class TestVariableScenarios(state_machine("variables")):
    def test_scenarios(self) -> None:
        """A created variable is updatable and deletable by its id."""
        self.runTest()
