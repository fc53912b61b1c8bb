"""SQLite document store: one table, JSON bodies, insertion order kept.

A reference server needs correctness, not query speed: filtering happens in Python.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from typing import Any, Iterator


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, UNIQUE(kind, id))"
        )

    def insert(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._db.execute("INSERT INTO docs (kind, id, body) VALUES (?, ?, ?)", (kind, doc["id"], json.dumps(doc)))
        return doc

    def insert_new(self, kind: str, fields: dict[str, Any], stamp: Any) -> dict[str, Any]:
        """Store a new document: a fresh id, then ``fields``, then createdDate and updatedDate both ``stamp``."""
        return self.insert(kind, {"id": str(uuid.uuid4()), **fields, "createdDate": stamp, "updatedDate": stamp})

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM docs WHERE kind = ? AND id = ?", (kind, doc_id)).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM docs WHERE kind = ? ORDER BY seq", (kind,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def where(self, kind: str, **equal: Any) -> Iterator[dict[str, Any]]:
        for doc in self.all(kind):
            if all(doc.get(k) == v for k, v in equal.items()):
                yield doc

    def replace(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._db.execute("UPDATE docs SET body = ? WHERE kind = ? AND id = ?", (json.dumps(doc), kind, doc["id"]))
        return doc

    def delete(self, kind: str, doc_id: str) -> int:
        with self._lock:
            cur = self._db.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))
        return cur.rowcount
