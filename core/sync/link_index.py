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
links cost it about 25 ms of its 0.43 s process. A question about a few ids
(a change token that reports a few changes) copies in only their links, read by
id from the store (`load_some`); copying all 100,000 links cost such a pass
about 0.5 s. Past FEW ids, or for a whole listing, every link is copied in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice

from contacthub.connector import Marker, RemoteRef
from contacthub.sync.batching import IDS_PER_QUERY, batches

# WITHOUT ROWID: one B-tree per table, keyed by remote id; `n` keeps the listing's order.
_SCHEMA = """
CREATE TABLE links (remote_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, etag TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE listing (remote_id TEXT PRIMARY KEY, n INTEGER, etag TEXT, database_id TEXT, record_id TEXT) WITHOUT ROWID;
CREATE TABLE relisting (remote_id TEXT PRIMARY KEY, n INTEGER, etag TEXT, database_id TEXT, record_id TEXT) WITHOUT ROWID;
"""

FEW = 2 * IDS_PER_QUERY  # ids asked about one by one (a query per IDS_PER_QUERY) before every link is copied in

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

    def __init__(
        self,
        load: Callable[[], Iterable[tuple[str, str, str]]],
        count: int,
        load_some: Callable[[str, list[str]], Iterable[tuple[str, str, str]]] | None = None,
    ) -> None:
        """`load` gives the (record id, remote id, etag) of every link, called on the first question that needs
        them all; `load_some(column, ids)` those whose "remote_id" or "record_id" is one of (at most
        IDS_PER_QUERY) ids. Without it, every question copies in every link."""
        self._load_links = load
        self._load_some = load_some
        self._count = count
        self._db: sqlite3.Connection | None = None
        self._all = False  # every link copied in
        self._asked: dict[str, set[str]] = {"remote_id": set(), "record_id": set()}  # ids whose links are in
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

    def _scratch(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect("", check_same_thread=False)
            self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
        return self._db

    def _copy_in(self, links: Iterable[tuple[str, str, str]]) -> None:
        self._scratch().executemany(
            "INSERT OR REPLACE INTO links VALUES (?, ?, ?)",
            ((remote_id, record_id, etag) for record_id, remote_id, etag in links),
        )

    def _links(self) -> sqlite3.Connection:
        """The scratch database with every link copied in."""
        if not self._all:
            if self._by_record:  # made over a few links: made again once all are in (_index_records)
                self._scratch().execute("DROP INDEX links_by_record")
                self._by_record = False
            self._copy_in(self._load_links())  # over the few already in: INSERT OR REPLACE
            self._all = True
        return self._scratch()

    def _links_of(self, column: str, ids: Iterable[str]) -> sqlite3.Connection:
        """The scratch database with at least the links whose `column` is one of `ids` copied in."""
        if self._all:
            return self._scratch()
        asked = self._asked[column]
        new = [i for i in dict.fromkeys(ids) if i not in asked]
        if self._load_some is None or len(self._asked["remote_id"]) + len(self._asked["record_id"]) + len(new) > FEW:
            return self._links()
        for chunk in batches(new, IDS_PER_QUERY):
            self._copy_in(self._load_some(column, chunk))
        asked.update(new)
        return self._scratch()

    # -- lookups (a few ids at a time) ----------------------------------------

    def remote_of(self, record_id: str) -> str | None:
        """The remote id of the record's copy, if it has one."""
        db = self._links_of("record_id", [record_id])
        self._index_records()
        row = db.execute("SELECT remote_id FROM links WHERE record_id = ?", (record_id,)).fetchone()
        return row[0] if row else None

    def linked(self, record_ids: Iterable[str]) -> set[str]:
        """Those of the records that have a copy."""
        ids = list(record_ids)
        if not ids:
            return set()
        db = self._links_of("record_id", ids)
        self._index_records()
        return {row[0] for row in self._in(db, "SELECT record_id FROM links WHERE record_id IN ({})", ids)}

    def records_of(self, remote_ids: Iterable[str]) -> dict[str, str]:
        """remote id -> record id, for those of the ids that are linked copies."""
        ids = list(remote_ids)
        if not ids:
            return {}
        db = self._links_of("remote_id", ids)
        return dict(self._in(db, "SELECT remote_id, record_id FROM links WHERE remote_id IN ({})", ids))

    # -- comparing with a listing -----------------------------------------------

    def compare(self, refs: Iterable[RemoteRef], database_id: str) -> Listing:
        """Read a listing as a stream and keep what a pass must read (see `_MUST_READ`)."""
        it = iter(refs)
        head = list(islice(it, FEW + 1))
        if not head:
            return Listing()  # nothing listed or changed: no link is asked about
        if len(head) <= FEW:  # a few changes: only their links
            db = self._links_of("remote_id", (ref.remote_id for ref in head))
        else:
            db = self._links()
        self._load("listing", chain(head, it))
        listing = Listing(changed=self._must_read("listing", database_id))
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
        db = self._scratch()
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
        rows = self._scratch().execute(
            f"SELECT l.remote_id, l.etag, l.database_id, l.record_id FROM {table} l"
            f" LEFT JOIN links k USING (remote_id) WHERE {where} ORDER BY l.n",
            {"db": database_id},
        )
        return [RemoteRef(rid, etag, Marker(db, rec or "") if db is not None else None) for rid, etag, db, rec in rows]

    def _index_records(self) -> None:
        """Made once the links are in (faster than keeping it while they go in), and only when asked for:
        a no-change pass never looks a record up."""
        if not self._by_record:
            self._scratch().execute("CREATE INDEX links_by_record ON links (record_id)")
            self._by_record = True

    @staticmethod
    def _in(db: sqlite3.Connection, sql: str, ids: list[str]) -> Iterator[tuple]:
        for chunk in batches(ids, IDS_PER_QUERY):
            yield from db.execute(sql.format(",".join("?" * len(chunk))), chunk)
