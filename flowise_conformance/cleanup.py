"""Delete what a run created, from its journal: at the end of a run, or later by hand.

``flowise-conformance cleanup --run-id ID`` reads ``<report dir>/<ID>/journal.jsonl`` and,
for each object the journal lists as created and not yet deleted, newest first (children
before parents), reads it back and sends one DELETE only when what the server shows carries
the run's name and its id was not on the target before the run (proof.py); each DELETE is
confirmed by reading the object back. What it cannot prove is listed and left alone. It
deletes nothing the journal does not name, and it refuses a target other than the journal's.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowise_conformance.client import FlowiseClient
from flowise_conformance.errors import UsageError
from flowise_conformance.outcomes import ExitCode
from flowise_conformance.run import Journal

API_PREFIX = "/api/v1/"


@dataclass
class Item:
    kind: str
    id: str
    name: str | None
    path: str
    status: str = "pending"  # deleted | gone | failed | unproven (left alone) | skipped
    detail: str = ""
    shown: str | None = None  # the name the server shows, when it is not the journaled one

    def line(self) -> str:
        names = [n for n in (self.shown, self.name and (f"journaled as {self.name}" if self.shown else self.name)) if n]
        what = f"{self.kind} {self.id}" + (f" ({', '.join(names)})" if names else "")
        if self.status == "deleted":
            return f"deleted {what}" + (f": {self.detail}" if self.detail else "")
        if self.status == "gone":
            return f"already gone {what}"
        label = {"failed": "FAILED", "unproven": "LEFT ALONE"}.get(self.status, "skipped")
        return f"{label} {what}: {self.detail}"


@dataclass
class CleanupReport:
    items: list[Item] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def left(self) -> list[Item]:
        return [i for i in self.items if i.status in ("failed", "skipped", "unproven")]

    def totals(self) -> str:
        return (f"{self.count('deleted')} deleted, {self.count('gone')} already gone, "
                f"{self.count('failed')} failed, {self.count('unproven')} not proven this run's (left alone), "
                f"{self.count('skipped')} skipped")


def _delete_path(entry: dict[str, Any]) -> str | None:
    """The journaled DELETE path, else the one the registry gives (resources.owned()); only paths under /api/v1/."""
    from flowise_conformance.resources import owned
    from flowise_conformance.tracker import delete_path

    kind, obj_id, path = entry.get("kind"), entry.get("id"), entry.get("delete")
    if isinstance(kind, str) and isinstance(obj_id, str) and kind in owned():
        return delete_path(kind, obj_id)
    if isinstance(path, str) and path.startswith(API_PREFIX) and ".." not in path and "?" not in path:
        return path
    return None


def outstanding_items(journal: Journal) -> list[Item]:
    items = []
    for entry in journal.outstanding():
        kind, obj_id = entry.get("kind"), entry.get("id")
        if not isinstance(kind, str) or not isinstance(obj_id, str):
            continue
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        path = _delete_path(entry)
        item = Item(kind, obj_id, name, path or "")
        if path is None:
            item.status, item.detail = "skipped", "the journal gives no usable DELETE path"
        items.append(item)
    return items


def _prover(client: FlowiseClient, journal: Journal) -> Any:
    from flowise_conformance.proof import Prover
    from flowise_conformance.run import run_tag

    return Prover(client, run_tag(journal.path.parent.name), journal)


def _delete(client: FlowiseClient, journal: Journal, prover: Any, item: Item) -> None:
    """One DELETE of a proven item, confirmed by reading it back: gone is deleted, still there is failed.

    Never raises for trouble with the target: a failure is reported on the item.
    """
    from flowise_conformance.proof import ABSENT

    try:
        response = client.delete(item.path)
    except Exception as exc:  # noqa: BLE001 - TargetMisbehaved, a refusal of the safety guard, ...
        item.status, item.detail = "failed", f"DELETE {item.path}: {exc}"
        return
    if not (response.is_success or response.status_code == 404):
        item.status, item.detail = "failed", f"DELETE {item.path} answered {response.status_code}"
        return
    after = prover.read(item.kind, item.id)
    _name_shown(item, after)
    if after.state != ABSENT:
        item.status = "failed"
        item.detail = (f"DELETE {item.path} answered {response.status_code} but the object is still there "
                       f"({after.detail or 'it reads back from its ' + after.how})")
        return
    item.status = "deleted" if response.is_success else "gone"
    journal.deleted(item.kind, item.id)


def _name_shown(item: Item, reading: Any) -> None:
    """Report an object by the name the server shows now too (a test may have renamed it)."""
    if reading.name and reading.name != item.name:
        item.shown = reading.name


def _settle(client: FlowiseClient, journal: Journal, prover: Any, item: Item, foreign: set[str]) -> bool:
    """Read the item back; delete it only when it is provably the run's. True when its name must be
    looked for in its list (what the server shows under its id is not it)."""
    from flowise_conformance.proof import ABSENT, OURS, OTHER

    if item.id in foreign:
        item.status, item.detail = "unproven", "not deleted: this id was on the target before the run"
        return True
    reading = prover.read(item.kind, item.id)
    _name_shown(item, reading)
    if reading.state == ABSENT:
        item.status = "gone"
        journal.deleted(item.kind, item.id)
        return reading.how == "list"
    if reading.state == OURS:
        _delete(client, journal, prover, item)
        return False
    item.status = "unproven"
    item.detail = ("not deleted: " + reading.detail if reading.state == OTHER
                   else f"not deleted: cannot prove it is this run's ({reading.detail})")
    return True


def clean(client: FlowiseClient, journal: Journal, *, dry_run: bool = False) -> CleanupReport:
    """Each outstanding journal entry, read back first: deleted (and confirmed gone) only when what the
    server shows carries the run's name; anything else is listed, not deleted.

    Never raises for trouble with the target: a failure is reported on its item.
    """
    report = CleanupReport(outstanding_items(journal))
    prover = _prover(client, journal)
    foreign = journal.foreign_ids()
    names: dict[tuple[str, str], list[str]] = {}  # (kind, id) -> every name journaled with it
    for entry in journal.entries():
        if entry.get("event") == "created" and isinstance(entry.get("name"), str):
            names.setdefault((entry.get("kind"), entry.get("id")), []).append(entry["name"])
    look_for: list[tuple[str, str]] = []
    for item in report.items:
        if item.status != "pending":
            continue
        if dry_run:
            item.status, item.detail = "skipped", f"dry run: would read it back and send DELETE {item.path}"
            continue
        if _settle(client, journal, prover, item, foreign):
            look_for += [(item.kind, n) for n in names.get((item.kind, item.id), [])]
    report.items += _pending_creates(client, journal, prover, dry_run, look_for, foreign)
    return report


def _named(name: str, obj: dict[str, Any]) -> bool:
    """Does the object carry exactly this run-unique name (not a longer one that starts with it)?"""
    return re.search(r"(?<![A-Za-z0-9_.-])" + re.escape(name) + r"(?![A-Za-z0-9_.-])", json.dumps(obj)) is not None


def _pending_creates(client: FlowiseClient, journal: Journal, prover: Any, dry_run: bool,
                     look_for: list[tuple[str, str]] = (), foreign: set[str] = frozenset()) -> list[Item]:  # type: ignore[assignment]
    """Objects of the run known only by their name: found in their collection's list and deleted.

    Creates sent whose answer was never read (kill -9, Ctrl-C mid-request), and creates whose
    answer named something else (another object's id, an id that cannot go into a URL, an id
    that reads back as something else): the name is the run's own (fc-<tag>-...), journaled
    before the create was sent; the collection is listed (GET) and only an object carrying
    exactly that name, not journaled already and not on the target before the run, is deleted.
    """
    from flowise_conformance.ids import UnsafeId
    from flowise_conformance.proof import listed
    from flowise_conformance.resources import owned
    from flowise_conformance.tracker import delete_path

    pending = journal.pending_creates()
    searches = [(k, n, True) for k, n in pending] + [(k, n, False) for k, n in look_for if (k, n) not in pending]
    if not searches:
        return []
    known = {e.get("id") for e in journal.entries() if e.get("event") == "created"}
    listings: dict[str, list[dict[str, Any]] | None] = {}
    items: list[Item] = []
    for kind, name, intent in searches:
        if kind not in owned():
            continue
        collection = owned()[kind].collection
        if dry_run:
            items.append(Item(kind, "?", name, collection, "skipped",
                              f"dry run: would look for it in GET {collection} (its create was never answered)"))
            continue
        if kind not in listings:
            try:
                listings[kind] = listed(client.get(collection))
            except Exception as exc:  # noqa: BLE001 - reported on the item
                listings[kind] = None
                items.append(Item(kind, "?", name, collection, "failed", f"GET {collection}: {exc}"))
        found = listings[kind]
        if found is None:
            if not any(i.name == name for i in items):
                items.append(Item(kind, "?", name, collection, "failed", f"cannot list {collection} to look for it"))
            continue
        for obj in found:
            obj_id = obj.get("id")
            if not isinstance(obj_id, str) or obj_id in known or obj_id in foreign or not _named(name, obj):
                continue
            known.add(obj_id)
            why = "its create was never answered" if intent else "its create answered another id"
            try:
                path = delete_path(kind, obj_id)
            except UnsafeId:
                items.append(Item(kind, obj_id, name, "", "unproven", f"found by its name ({why}), but its id "
                                  "cannot go into a URL: not deleted"))
                continue
            journal.created(kind, obj_id, path, name)
            item = Item(kind, obj_id, name, path, detail=f"found by its name ({why})")
            _delete(client, journal, prover, item)
            items.append(item)
        if intent and not any(i.name == name and i.status in ("failed", "skipped", "unproven") for i in items):
            journal.resolved(name)
    return items


def hint(journal: Journal) -> str:
    run_dir = journal.path.parent
    return f"flowise-conformance cleanup --run-id {run_dir.name} --report-dir {run_dir.parent}"


def sweep(client: FlowiseClient, journal: Journal) -> tuple[int, list[str]]:
    """The end-of-run sweep: (deleted, problems); the last problem says how to finish by hand."""
    report = clean(client, journal)
    problems = [i.line() for i in report.left]
    if problems:
        problems.append(f"{len(report.left)} object(s) of this run may be left on the target; "
                        f"delete them with: {hint(journal)}")
    return report.count("deleted"), problems


# ---------------------------------------------------------------- the subcommand


def _same_origin(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def cleanup_command(args: argparse.Namespace) -> int:
    from flowise_conformance.config import load_target
    from flowise_conformance.preflight import probe
    from flowise_conformance.redact import RedactingStream, register_secret
    from flowise_conformance.run import check_run_id

    check_run_id(args.run_id)
    journal = Journal(Path(args.report_dir) / args.run_id / "journal.jsonl")
    if not journal.path.is_file():
        raise UsageError(f"no journal at {journal.path} (check --run-id and --report-dir)")
    target = load_target(base_url=args.base_url, api_key=args.api_key, target_file=args.target)
    recorded = journal.base_url()
    if not target.base_url:
        if not recorded:
            raise UsageError("the journal does not say which target the run used: give --base-url or --target")
        target = load_target(base_url=recorded, api_key=args.api_key, target_file=args.target)
    elif recorded and not _same_origin(recorded, target.base_url) and not args.any_target:
        raise UsageError(f"run {args.run_id} created its objects on {recorded}, not on {target.base_url}; "
                         "give the same target, or --any-target if it is the same server under another address")
    register_secret(target.api_key)
    out = RedactingStream(sys.stdout)
    items = outstanding_items(journal)
    if not items and not journal.pending_creates():
        print(f"cleanup: nothing to delete: the journal of run {args.run_id} lists no object still there", file=out)
        return ExitCode.OK
    if not args.dry_run:
        probe(target)
    client = FlowiseClient(target)
    try:
        report = clean(client, journal, dry_run=args.dry_run)
    finally:
        client.close()
    for item in report.items:
        print(item.line(), file=out)
    print(f"cleanup of run {args.run_id} on {target.base_url}: {report.totals()}", file=out)
    return ExitCode.FAILURES if report.count("failed") or report.count("unproven") else ExitCode.OK


def add_subparser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser(
        "cleanup", help="delete what a run created (from its journal), e.g. after a crash or kill -9",
        description="Deletes exactly the objects the run's journal lists as created and not yet deleted; "
                    "nothing else. Exit 0 when nothing is left, 1 when a delete failed, 2 on usage errors.")
    cmd.add_argument("--run-id", required=True, help="the run whose objects to delete")
    cmd.add_argument("--report-dir", default="reports", help="where the run's reports are (default: reports)")
    cmd.add_argument("--base-url", help="the target (default: the one the journal records)")
    cmd.add_argument("--api-key", help="API key (env FLOWISE_API_KEY); prefer the env var: options show in ps")
    cmd.add_argument("--target", help="target file (TOML)")
    cmd.add_argument("--dry-run", action="store_true", help="list what would be deleted, send nothing")
    cmd.add_argument("--any-target", action="store_true",
                     help="allow a base URL other than the journal's (the same server under another address)")
    cmd.set_defaults(handler=cleanup_command)


__all__ = ["CleanupReport", "add_subparser", "clean", "cleanup_command", "outstanding_items", "sweep"]
