"""The fuzz suite's pytest options, item markers and failure notes.

Options (every process, xdist workers included, before the fuzz modules are imported):
    --seed N            the run seed of the fuzz suite (default: a fixed one, so runs repeat)
    --fuzz-examples N   generated cases per operation in the fuzzing phase (the budget)
    --fuzz-deep         also the coverage phase's invalid cases (systematic, but ~2,300 more requests)
    --fuzz-operation X  only the fuzz items of these operations (operationId or "GET /path";
                        repeatable): a pytest node id with the bracketed label cannot be given
                        on the command line, this can

Markers: a schemathesis item (one per operation) gets ``resource(<the operation's tag>)``,
``mutating`` when its method changes state, and ``requires(<capabilities>)`` for its
resource and the operation's ``x-fc-capability``; its level comes from its module.

A failed fuzz item's report ends with the seed, the budget and the command that repeats it;
schemathesis' own message already holds the failing request as a curl command (with the
Authorization header filtered, and the key redacted by the plugin as everywhere).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from flowise_conformance.fuzz import settings as fuzz_settings
from flowise_conformance.redact import redact


_BRACKETED = re.compile(r"^(?P<path>.+\.py)::(?P<func>[A-Za-z_]\w*)\[(?P<label>.+)\]$")
_wanted_key = pytest.StashKey[list[tuple[Path, str]]]()


def _is_fuzz_module(path: str) -> bool:
    return Path(path).name.startswith("test_fuzz_")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Make fuzz node ids usable as arguments: ``test_fuzz_x.py::test_y[GET /api/v1/ping]``.

    pytest cannot select a schemathesis item by such an id (the items are made by a collector, not
    by parametrize), so the argument becomes its file and the item is kept by
    ``pytest_collection_modifyitems``. The fault catalog (``caught_by``) relies on this.
    """
    wanted: list[tuple[Path, str]] = []
    seen: set[str] = set()
    out: list[str] = []
    for arg in args:
        found = _BRACKETED.match(arg)
        if found and _is_fuzz_module(found["path"]):
            wanted.append((Path(found["path"]).resolve(), f"{found['func']}[{found['label']}]"))
            if found["path"] in seen:
                continue
            seen.add(found["path"])
            arg = found["path"]
        out.append(arg)
    args[:] = out
    early_config.stash[_wanted_key] = wanted


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flowise-conformance fuzz")
    group.addoption("--seed", default=None,
                    help=f"seed of the fuzz suite (default {fuzz_settings.DEFAULT_SEED}; same seed, same requests)")
    group.addoption("--fuzz-examples", default=None,
                    help=f"generated cases per operation (default {fuzz_settings.DEFAULT_EXAMPLES})")
    group.addoption("--fuzz-deep", action="store_true", default=False,
                    help="also send the coverage phase's invalid cases (about 2,300 more requests)")
    group.addoption("--fuzz-operation", action="append", default=None, metavar="OPERATION",
                    help="only fuzz these operations (operationId, or 'METHOD /path'); repeatable")


def pytest_configure(config: pytest.Config) -> None:
    seed = config.getoption("--seed")
    examples = config.getoption("--fuzz-examples")
    try:
        chosen = fuzz_settings.from_env()
        chosen = fuzz_settings.FuzzSettings(
            seed=fuzz_settings.parse_seed(seed) if seed is not None else chosen.seed,
            examples=fuzz_settings.parse_examples(examples) if examples is not None else chosen.examples,
            deep=bool(config.getoption("--fuzz-deep")) or chosen.deep,
        )
    except ValueError as exc:
        raise pytest.UsageError(f"flowise-conformance: {exc}") from None
    fuzz_settings.configure(chosen)
    _configure_key(config)


def _configure_key(config: pytest.Config) -> None:
    """The target's API key for the cases schemathesis builds at collection (runtime.configure_key)."""
    from flowise_conformance import run_context
    from flowise_conformance.errors import FcError
    from flowise_conformance.fuzz import runtime
    from flowise_conformance.redact import register_secret

    try:
        target = run_context.target(config)
    except (FcError, ValueError):
        return  # the main plugin reports a bad target
    register_secret(target.api_key)
    runtime.configure_key(target.api_key)


def _operation_of(item: pytest.Item) -> Any:
    label = getattr(item, "operation_label", None)
    if not label:
        return None
    from flowise_conformance.spec_model import by_label

    return by_label().get(label)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--fuzz-operation") or []
    by_id = config.stash.get(_wanted_key, [])
    chosen_files = {path for path, _ in by_id}
    keep, drop = [], []
    for item in items:
        path = Path(str(getattr(item, "path", ""))).resolve()
        if path in chosen_files and (path, item.name) not in by_id:
            drop.append(item)  # its file was given only to reach other items of it by node id
            continue
        operation = _operation_of(item)
        if operation is None:
            # with --fuzz-operation, fuzz items that are not one operation's (the stateful run) go too
            (drop if wanted and _is_fuzz_item(item) else keep).append(item)
            continue
        if wanted and operation.operation_id not in wanted and operation.label not in wanted:
            drop.append(item)
            continue
        item.add_marker(pytest.mark.resource(operation.tag))
        if operation.mutating:
            item.add_marker(pytest.mark.mutating)
        if operation.capabilities:
            item.add_marker(pytest.mark.requires(*operation.capabilities))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def reproduction_note(item: pytest.Item) -> str:
    current = fuzz_settings.current()
    operation = _operation_of(item)
    path = str(item.path) if getattr(item, "path", None) else item.nodeid.split("::", 1)[0]
    select = f" --fuzz-operation {operation.operation_id}" if operation is not None else ""
    deep = " --fuzz-deep" if current.deep else ""
    return (f"fuzz seed {current.seed}, {current.examples} examples per operation{deep and ', deep'}. Repeat with:\n"
            f"    flowise-conformance run {path}::{item.originalname if hasattr(item, 'originalname') else item.name}"
            f" --seed {current.seed} --fuzz-examples {current.examples}{deep}{select}")


def _add_notes(item: pytest.Item, report: pytest.TestReport) -> None:
    from flowise_conformance.fuzz import runtime

    text = report.longreprtext
    note = reproduction_note(item)
    if note in text:
        return
    notes = [note]
    rt = runtime.current()
    if rt is not None and rt.log:
        notes.append("the suite replaced ids the run does not own: " + "; ".join(dict.fromkeys(rt.log)))
    report.longrepr = redact(f"{text}\n\n" + "\n".join(notes))


def fuzz_notes_stage(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Outcome stage (plugins/outcome.py): a failed fuzz item's report ends with how to repeat it."""
    if report.failed and _is_fuzz_item(item):
        _add_notes(item, report)


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """schemathesis rewrites a failed item's report here (after makereport): keep the notes and redaction (fuzz_notes_stage's)."""
    if isinstance(node, pytest.Item) and report.failed and _is_fuzz_item(node):
        _add_notes(node, report)


def _is_fuzz_item(item: pytest.Item) -> bool:
    if getattr(item, "operation_label", None) is not None:
        return True
    module = getattr(item, "module", None)
    return bool(getattr(module, "FC_FUZZ", False))
