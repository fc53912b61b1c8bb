"""Delete what a run created, from its journal: at the end of a run, or later by hand.

``flowise-conformance cleanup --run-id ID`` reads ``<report dir>/<ID>/journal.jsonl`` and
sends one DELETE for each object the journal lists as created and not yet deleted, newest
first (children before parents). It deletes nothing the journal does not list, and it
refuses a target other than the one the journal was written for.
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
    status: str = "pending"  # deleted | gone | failed | skipped
    detail: str = ""

    def line(self) -> str:
        what = f"{self.kind} {self.id}" + (f" ({self.name})" if self.name else "")
        if self.status == "deleted":
            return f"deleted {what}" + (f": {self.detail}" if self.detail else "")
        if self.status == "gone":
            return f"already gone {what}"
        return f"{'FAILED' if self.status == 'failed' else 'skipped'} {what}: {self.detail}"


@dataclass
class CleanupReport:
    items: list[Item] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def left(self) -> list[Item]:
        return [i for i in self.items if i.status in ("failed", "skipped")]

    def totals(self) -> str:
        return (f"{self.count('deleted')} deleted, {self.count('gone')} already gone, "
                f"{self.count('failed')} failed, {self.count('skipped')} skipped")


def _delete_path(entry: dict[str, Any]) -> str | None:
    """The journaled DELETE path, else the one DELETE_PATHS gives; only paths under /api/v1/."""
    from flowise_conformance.tracker import DELETE_PATHS, delete_path

    kind, obj_id, path = entry.get("kind"), entry.get("id"), entry.get("delete")
    if isinstance(kind, str) and isinstance(obj_id, str) and kind in DELETE_PATHS:
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


def _delete(client: FlowiseClient, journal: Journal, item: Item) -> None:
    """One DELETE of the item: 2xx is deleted, 404 already gone (both journaled), else failed.

    Never raises for trouble with the target: a failure is reported on the item.
    """
    try:
        response = client.delete(item.path)
    except Exception as exc:  # noqa: BLE001 - TargetMisbehaved, a refusal of the safety guard, ...
        item.status, item.detail = "failed", f"DELETE {item.path}: {exc}"
        return
    if response.is_success or response.status_code == 404:
        item.status = "deleted" if response.is_success else "gone"
        journal.deleted(item.kind, item.id)
    else:
        item.status, item.detail = "failed", f"DELETE {item.path} answered {response.status_code}"


def clean(client: FlowiseClient, journal: Journal, *, dry_run: bool = False) -> CleanupReport:
    """One DELETE per outstanding journal entry; 2xx is deleted, 404 already gone (both journaled).

    Never raises for trouble with the target: a failure is reported on its item.
    """
    report = CleanupReport(outstanding_items(journal))
    for item in report.items:
        if item.status != "pending":
            continue
        if dry_run:
            item.status, item.detail = "skipped", f"dry run: would send DELETE {item.path}"
            continue
        _delete(client, journal, item)
    report.items += _pending_creates(client, journal, dry_run)
    return report


def _named(name: str, obj: dict[str, Any]) -> bool:
    """Does the object carry exactly this run-unique name (not a longer one that starts with it)?"""
    return re.search(r"(?<![A-Za-z0-9_.-])" + re.escape(name) + r"(?![A-Za-z0-9_.-])", json.dumps(obj)) is not None


def _pending_creates(client: FlowiseClient, journal: Journal, dry_run: bool) -> list[Item]:
    """Creates sent whose answer was never read (kill -9, Ctrl-C mid-request): find them by their name.

    The name is the run's own (fc-<tag>-...), written to the journal before the create was sent;
    the collection is listed (GET) and only an object carrying exactly that name, and not already
    journaled, is deleted.
    """
    from flowise_conformance.client import json_or_none
    from flowise_conformance.tracker import DELETE_PATHS, delete_path

    pending = journal.pending_creates()
    if not pending:
        return []
    known = {e.get("id") for e in journal.entries() if e.get("event") == "created"}
    listings: dict[str, list[dict[str, Any]] | None] = {}
    items: list[Item] = []
    for kind, name in pending:
        if kind not in DELETE_PATHS:
            continue
        collection = DELETE_PATHS[kind].rsplit("/", 1)[0]
        if dry_run:
            items.append(Item(kind, "?", name, collection, "skipped",
                              f"dry run: would look for it in GET {collection} (its create was never answered)"))
            continue
        if kind not in listings:
            try:
                response = client.get(collection)
                data = json_or_none(response) if response.status_code == 200 else None
            except Exception as exc:  # noqa: BLE001 - reported on the item
                data, response = None, None
                items.append(Item(kind, "?", name, collection, "failed", f"GET {collection}: {exc}"))
            if isinstance(data, dict):
                data = data.get("data")
            listings[kind] = [o for o in data if isinstance(o, dict)] if isinstance(data, list) else None
        listed = listings[kind]
        if listed is None:
            if not any(i.name == name for i in items):
                items.append(Item(kind, "?", name, collection, "failed", f"cannot list {collection} to look for it"))
            continue
        for obj in listed:
            obj_id = obj.get("id")
            if not isinstance(obj_id, str) or obj_id in known or not _named(name, obj):
                continue
            path = delete_path(kind, obj_id)
            journal.created(kind, obj_id, path, name)
            known.add(obj_id)
            item = Item(kind, obj_id, name, path, detail="found by its name (its create was never answered)")
            _delete(client, journal, item)
            items.append(item)
        if not any(i.name == name and i.status in ("failed", "skipped") for i in items):
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
    return ExitCode.FAILURES if report.count("failed") else ExitCode.OK


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
