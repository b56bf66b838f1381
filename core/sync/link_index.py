"""The link index of a pass: which record is linked to which copy, and that copy's etag.

A pass compares the target's listing with its links. Held as Python dicts, the
links and the listing's ids cost about 500 bytes a copy: at 100,000 copies a
no-change pass peaked above vdirsyncer's whole process. Here both sides go into a
private temporary SQLite database and are compared with a join, so a pass holds
nothing per copy but what it must read.

Written by hand with the standard library's sqlite3 because no library keeps a
disk-backed map for a join: an empty file name gives a private on-disk database,
deleted when closed, whose page cache (2 MB by default) bounds the memory.

The links are copied in only when a question needs them: a pass on a change
token that reports nothing (the everyday CardDAV pass) asks none; copying 5,000
links cost it about 25 ms of its 0.43 s process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from contacthub.connector import Marker, RemoteRef
from contacthub.sync.batching import IDS_PER_QUERY, batches

# WITHOUT ROWID: one B-tree per table, keyed by remote id; `n` keeps the listing's order.
_SCHEMA = """
CREATE TABLE links (remote_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, etag TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE listing (remote_id TEXT PRIMARY KEY, n INTEGER, etag TEXT, database_id TEXT, record_id TEXT) WITHOUT ROWID;
CREATE TABLE relisting (remote_id TEXT PRIMARY KEY, n INTEGER, etag TEXT, database_id TEXT, record_id TEXT) WITHOUT ROWID;
"""

# A ref a pass must read: a linked copy whose etag moved, or a copy of this database without a link.
_MUST_READ = "(k.remote_id IS NOT NULL AND k.etag != l.etag) OR (k.remote_id IS NULL AND l.database_id = :db)"


@dataclass
class Listing:
    """What a listing showed that a pass must act on, and how many items it had."""

    changed: list[RemoteRef] = field(default_factory=list)
    listed: int = 0  # distinct items listed
    linked: int = 0  # of them, linked copies
    plain: int = 0  # plain contacts and other databases' copies (never touched, S7, W1)


class LinkIndex:
    """The links of one target as (remote id, record id, etag), on disk for the length of a pass."""

    def __init__(self, load: Callable[[], Iterable[tuple[str, str, str]]], count: int) -> None:
        """`load` gives the (record id, remote id, etag) of every link, called on the first question that needs them."""
        self._load_links = load
        self._count = count
        self._db: sqlite3.Connection | None = None
        self._by_record = False  # the index by record id, made on the first lookup that needs it

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def __enter__(self) -> LinkIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self._count

    def _links(self) -> sqlite3.Connection:
        """The scratch database, the links copied in on the first call."""
        if self._db is None:
            self._db = sqlite3.connect("", check_same_thread=False)
            self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
            self._db.executemany(
                "INSERT OR REPLACE INTO links VALUES (?, ?, ?)",
                ((remote_id, record_id, etag) for record_id, remote_id, etag in self._load_links()),
            )
        return self._db

    # -- lookups (a few ids at a time) ----------------------------------------

    def remote_of(self, record_id: str) -> str | None:
        """The remote id of the record's copy, if it has one."""
        self._index_records()
        row = self._links().execute("SELECT remote_id FROM links WHERE record_id = ?", (record_id,)).fetchone()
        return row[0] if row else None

    def linked(self, record_ids: Iterable[str]) -> set[str]:
        """Those of the records that have a copy."""
        ids = list(record_ids)
        if ids:
            self._index_records()
        return {row[0] for row in self._in("SELECT record_id FROM links WHERE record_id IN ({})", ids)}

    def records_of(self, remote_ids: Iterable[str]) -> dict[str, str]:
        """remote id -> record id, for those of the ids that are linked copies."""
        return dict(self._in("SELECT remote_id, record_id FROM links WHERE remote_id IN ({})", remote_ids))

    # -- comparing with a listing -----------------------------------------------

    def compare(self, refs: Iterable[RemoteRef], database_id: str) -> Listing:
        """Read a listing as a stream and keep what a pass must read (see `_MUST_READ`)."""
        it = iter(refs)
        first = next(it, None)
        if first is None:
            return Listing()  # nothing listed or changed: no link is asked about
        self._load("listing", chain([first], it))
        listing = Listing(changed=self._must_read("listing", database_id))
        db = self._links()
        listing.listed, listing.linked, listing.plain = db.execute(
            "SELECT count(*), count(k.remote_id),"
            " coalesce(sum(k.remote_id IS NULL AND (l.database_id IS NULL OR l.database_id != ?)), 0)"
            " FROM listing l LEFT JOIN links k USING (remote_id)",
            (database_id,),
        ).fetchone()
        return listing

    def gone(self, refs: Iterable[RemoteRef], database_id: str) -> tuple[set[str], list[RemoteRef]]:
        """The linked copies a second listing no longer shows, and what it shows that `compare`'s did not.

        Asked only when the first listing missed some linked copies: a copy renamed
        while the folder was read shows in neither place of the first listing, and
        must not be taken for deleted. What only this listing shows (the copy under
        its new name) is kept as `compare` would, so a move is seen whole (S13).
        """
        self._load("relisting", refs)
        rows = self._links().execute("SELECT remote_id FROM links EXCEPT SELECT remote_id FROM relisting")
        gone = {row[0] for row in rows}
        return gone, self._must_read("relisting", database_id, new_only=True)

    def _load(self, table: str, refs: Iterable[RemoteRef]) -> None:
        db = self._links()
        db.execute(f"DELETE FROM {table}")
        db.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?, ?)",
            (
                (ref.remote_id, n, ref.etag, ref.marker.database_id if ref.marker else None,
                 ref.marker.record_id if ref.marker else None)
                for n, ref in enumerate(refs)
            ),
        )  # fmt: skip

    def _must_read(self, table: str, database_id: str, new_only: bool = False) -> list[RemoteRef]:
        where = f"({_MUST_READ})" + (" AND l.remote_id NOT IN (SELECT remote_id FROM listing)" if new_only else "")
        rows = self._links().execute(
            f"SELECT l.remote_id, l.etag, l.database_id, l.record_id FROM {table} l"
            f" LEFT JOIN links k USING (remote_id) WHERE {where} ORDER BY l.n",
            {"db": database_id},
        )
        return [RemoteRef(rid, etag, Marker(db, rec or "") if db is not None else None) for rid, etag, db, rec in rows]

    def _index_records(self) -> None:
        """Made once the links are in (faster than keeping it while they go in), and only when asked for:
        a no-change pass never looks a record up."""
        if not self._by_record:
            self._links().execute("CREATE INDEX links_by_record ON links (record_id)")
            self._by_record = True

    def _in(self, sql: str, ids: Iterable[str]) -> Iterator[tuple]:
        for chunk in batches(ids, IDS_PER_QUERY):
            yield from self._links().execute(sql.format(",".join("?" * len(chunk))), chunk)
