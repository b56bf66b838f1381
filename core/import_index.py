"""What an import matches cards against, kept in a temporary SQLite file so memory stays flat.

An import of 100,000 cards into a database of 100,000 records must know, for every
card, whether its fingerprint, its UID or one of its twin blocks (contacthub.duplicates)
is already some record's. Held in Python dicts that costs about 1 KB per record (more
than the records' own size on disk); here it costs a few MB of SQLite page cache at
any size. Keys are 64-bit hashes (blake2b): a clash between two fingerprints or UIDs
is about one in 10^9 at 10^5 cards; a clash between blocks only adds a candidate that
is then scored on its real keys.

The file is SQLite's private temporary database (an empty file name): it holds hashes
and record ids only, no contact's text, spills to disk only past the page cache, and
is gone when the connection closes, also when the process is killed (SQLite unlinks
it on open).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable

MAX_BLOCK = 50  # as contacthub.duplicates: a block shared by more records says little and is not read
CACHE_KIB = 4096

_SCHEMA = """
CREATE TABLE fp (h INTEGER PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE uid (h INTEGER PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE block (h INTEGER NOT NULL, id TEXT NOT NULL, UNIQUE (h, id));
CREATE TABLE block_size (h INTEGER PRIMARY KEY, n INTEGER NOT NULL);
"""


def key(text: str) -> int:
    """A signed 64-bit hash of `text` (SQLite's INTEGER)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


class ImportIndex:
    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)
        # A scratch file: no journal, no fsync; it is thrown away after the import.
        self._db.executescript(f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-{CACHE_KIB};")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")

    def close(self) -> None:
        self._db.close()

    # -- fingerprints and UIDs: hash -> record id ---------------------------------------

    def fingerprint(self, fp: str) -> str | None:
        return self._get("fp", key(fp))

    def set_fingerprint(self, fp: str, record_id: str, replace: bool = True) -> None:
        """`replace=False` keeps the record an equal fingerprint already points at."""
        self._db.execute(f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO fp VALUES (?, ?)", (key(fp), record_id))

    def set_fingerprints(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO fp VALUES (?, ?)", ((key(f), r) for f, r in pairs))

    def uid(self, uid: str) -> str | None:
        return self._get("uid", key(uid))

    def set_uid(self, uid: str, record_id: str, replace: bool = True) -> None:
        self._db.execute(f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO uid VALUES (?, ?)", (key(uid), record_id))

    def _get(self, table: str, h: int) -> str | None:
        row = self._db.execute(f"SELECT id FROM {table} WHERE h = ?", (h,)).fetchone()
        return None if row is None else row[0]

    # -- twin blocks: block -> records ----------------------------------------------------

    def add_blocks(self, record_id: str, blocks: Iterable[str]) -> None:
        for h in {key(b) for b in blocks}:
            if self._db.execute("INSERT OR IGNORE INTO block VALUES (?, ?)", (h, record_id)).rowcount:
                self._db.execute("INSERT INTO block_size VALUES (?, 1) ON CONFLICT (h) DO UPDATE SET n = n + 1", (h,))

    def candidates(self, blocks: Iterable[str]) -> list[str]:
        """Records sharing a block with these, oldest first; blocks of more than MAX_BLOCK records are left out."""
        hashes = sorted({key(b) for b in blocks})
        if not hashes:
            return []
        marks = ",".join("?" * len(hashes))
        rows = self._db.execute(
            f"SELECT b.id FROM block b JOIN block_size s ON s.h = b.h WHERE b.h IN ({marks}) AND s.n <= ? ORDER BY b.rowid",
            (*hashes, MAX_BLOCK),
        )
        return list(dict.fromkeys(r[0] for r in rows))
