"""The vcf connector's marker cache: file name -> (etag, marker), so a listing reads only
the files whose etag changed since the last pass.

An SQLite file in the target's cache folder, looked up a chunk of names at a time:
held as a dict it cost about 360 bytes a file, more at 100,000 copies than the rest
of a no-change pass. Written by hand with the standard library's sqlite3 (no library
keeps a persistent map on disk with atomic writes); WAL with synchronous=NORMAL, so a
crash or power cut loses at most the last entries, never the file. A missing,
damaged or older cache only costs reads: a file whose etag is not in it is read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from contacthub.connector import Marker

log = logging.getLogger(__name__)

CACHE_FILE = "vcf-markers.sqlite"
OLD_CACHE_FILE = "vcf-markers.tsv"  # the previous version's cache: moved into this one once, then removed
OLD_HEADER = "contacthub vcf markers 2\n"
CHUNK = 500  # names per IN (...)
SAVE_MIN = 2000  # entries changed before a batch of writes commits them (close() always does)

Entry = tuple[str, str, str]  # etag, database id, record id ("" and "": a plain contact)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS markers (
    name TEXT PRIMARY KEY, etag TEXT NOT NULL, database_id TEXT NOT NULL, record_id TEXT NOT NULL
) WITHOUT ROWID;
"""


def entry(etag: str, marker: Marker | None) -> Entry:
    return (etag, "", "") if marker is None else (etag, marker.database_id, marker.record_id)


def marker_of(item: Entry) -> Marker | None:
    return Marker(item[1], item[2]) if item[2] else None


class MarkerCache:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / CACHE_FILE
        self._db: sqlite3.Connection | None = None  # opened on first use
        self._broken = False  # failed in this connector's life: files are read instead
        self.unsaved = 0  # entries changed since the last commit

    def lookup(self, names: list[str]) -> dict[str, Entry]:
        """The entries of those of `names` that have one (at most `CHUNK` names)."""
        sql = f"SELECT name, etag, database_id, record_id FROM markers WHERE name IN ({','.join('?' * len(names))})"
        return {name: (etag, db, rec) for name, etag, db, rec in self._rows(sql, names)}

    def count(self) -> int:
        rows = self._rows("SELECT count(*) FROM markers")
        return rows[0][0] if rows else 0

    def put(self, name: str, etag: str, marker: Marker | None) -> None:
        self._write("INSERT OR REPLACE INTO markers VALUES (?, ?, ?, ?)", (name, *entry(etag, marker)))

    def drop(self, name: str) -> None:
        self._write("DELETE FROM markers WHERE name = ?", (name,))

    def keep_only(self, names: Iterable[str]) -> None:
        """Drop every entry whose file is not among `names` (the folder's files, read as a stream)."""
        db = self._open()
        if db is None:
            return
        try:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS present (name TEXT PRIMARY KEY) WITHOUT ROWID")
            db.execute("DELETE FROM temp.present")
            db.executemany("INSERT OR IGNORE INTO temp.present VALUES (?)", ((name,) for name in names))
            gone = db.execute("DELETE FROM markers WHERE name NOT IN (SELECT name FROM temp.present)").rowcount
            db.execute("DELETE FROM temp.present")
            self.unsaved += gone
        except sqlite3.Error as exc:
            self._fail(exc)

    def save(self, batch: bool = False) -> None:
        """Commit what changed; after a batch of writes only once `SAVE_MIN` entries wait (a commit
        per batch of 500 was a tenth of the cache's cost in a first sync; what a kill loses is read again)."""
        if self._db is None or not self.unsaved or (batch and self.unsaved < SAVE_MIN):
            return
        try:
            self._db.commit()
        except sqlite3.Error as exc:
            self._fail(exc)
        self.unsaved = 0

    def close(self) -> None:
        self.save()
        db, self._db = self._db, None
        if db is not None:
            db.close()

    # -- the file ---------------------------------------------------------------

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        db = self._open()
        if db is None:
            return []
        try:
            return db.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            self._fail(exc)
            return []

    def _write(self, sql: str, args: tuple) -> None:
        db = self._open()
        if db is None:
            return
        try:
            db.execute(sql, args)
        except sqlite3.Error as exc:
            self._fail(exc)
            return
        self.unsaved += 1

    def _open(self) -> sqlite3.Connection | None:
        """The cache's connection; a damaged file is replaced by an empty one (it only costs reads)."""
        if self._db is not None or self._broken:
            return self._db
        for attempt in (1, 2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fresh = not self.path.exists()
                if fresh:  # owner-only (U5) whatever the umask; SQLite gives its -wal and -shm the same mode
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
                db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.executescript(_SCHEMA)
                if fresh:
                    _move_old_cache(db, self.path.parent / OLD_CACHE_FILE)
                self._db = db
                return db
            except sqlite3.DatabaseError as exc:
                with contextlib.suppress(NameError, sqlite3.Error):
                    db.close()
                if attempt == 2:
                    break
                log.warning("vcf: the marker cache %s is damaged (%s); starting a new one", self.path, exc)
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        Path(f"{self.path}{suffix}").unlink()
            except OSError as exc:
                log.warning("vcf: cannot open the marker cache in %s: %s", self.path.parent, exc.strerror)
                break
        self._broken = True
        return None

    def _fail(self, exc: sqlite3.Error) -> None:
        """A cache that cannot be written or read is left alone from now on: files are read instead."""
        log.warning("vcf: the marker cache %s failed (%s); reading the files instead", self.path, exc)
        db, self._db = self._db, None
        with contextlib.suppress(sqlite3.Error):
            if db is not None:
                db.close()
        self._broken, self.unsaved = True, 0


def _move_old_cache(db: sqlite3.Connection, old: Path) -> None:
    """Read the previous version's tab-separated cache into the new one, a line at a time, then remove it.

    Without it, the first pass after an upgrade would read every file of the folder again.
    """
    try:
        with open(old, encoding="utf-8") as file:
            if file.readline() != OLD_HEADER:
                return
            rows = (line.rstrip("\n").split("\t") for line in file)
            db.executemany("INSERT OR REPLACE INTO markers VALUES (?, ?, ?, ?)", (r for r in rows if len(r) == 4))
        db.commit()
        old.unlink()
    except (OSError, UnicodeDecodeError):
        return  # a missing or damaged old cache only costs one full read
