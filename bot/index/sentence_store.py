"""Sentence vectors, computed once at ingest and kept beside the index (no sentence embedding at query time).

One row per chunk in a SQLite file in the data dir: the unit keys (`bot.units.unit_key`) of the chunk's
answer units and their vectors as one float16 blob (384 x 2 bytes a unit). The answerer reads the rows of
the few passages it answers from (one indexed lookup), so nothing is held in memory between questions, at
any index size. A missing row (an index built before this store, a lost file) only means the answer is
scored lexically: the vectors are an aid, never a requirement.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

log = logging.getLogger(__name__)

DIM = 384


class SentenceStore:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=30)
            db.execute("CREATE TABLE IF NOT EXISTS units (chunk_id TEXT PRIMARY KEY, keys TEXT, vectors BLOB)")
            self._local.db = db
        return db

    def put(self, rows: Iterable[tuple[str, Sequence[str], np.ndarray]]) -> None:
        """(chunk id, unit keys, vectors n x 384) for each chunk; replaces what a chunk had."""
        data = [(cid, ",".join(keys), np.asarray(vectors, dtype=np.float16).tobytes()) for cid, keys, vectors in rows]
        if not data:
            return
        db = self._db()
        with db:
            db.executemany("INSERT OR REPLACE INTO units VALUES (?, ?, ?)", data)

    def delete(self, chunk_ids: Iterable[str]) -> None:
        ids = list(chunk_ids)
        db = self._db()
        with db:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                db.execute(f"DELETE FROM units WHERE chunk_id IN ({','.join('?' * len(part))})", part)

    def get(self, chunk_ids: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """chunk id -> {unit key -> vector (float32)} for the chunks that have rows."""
        if not chunk_ids:
            return {}
        try:
            rows = self._db().execute(
                f"SELECT chunk_id, keys, vectors FROM units WHERE chunk_id IN ({','.join('?' * len(chunk_ids))})",
                list(chunk_ids),
            ).fetchall()
        except sqlite3.Error as exc:  # unreadable store: answer lexically
            log.warning("sentence vectors unavailable: %s", exc)
            return {}
        out: dict[str, dict[str, np.ndarray]] = {}
        for chunk_id, keys, blob in rows:
            names = keys.split(",") if keys else []
            vectors = np.frombuffer(blob, dtype=np.float16).reshape(-1, DIM).astype(np.float32)
            out[chunk_id] = dict(zip(names, vectors))
        return out

    @property
    def splitting_fingerprint(self) -> str:
        """The fingerprint of the unit splitting the stored rows were made with ("" before one was recorded)."""
        try:
            row = self._db().execute("SELECT value FROM meta WHERE name = 'splitting'").fetchone()
        except sqlite3.OperationalError:  # a store from before the fingerprint (only ingest creates the table)
            return ""
        return row[0] if row else ""

    def record_splitting(self, fingerprint: str) -> None:
        db = self._db()
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('splitting', ?)", (fingerprint,))

    def count(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM units").fetchone()[0]
