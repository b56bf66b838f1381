"""Reading records and record types with SQLAlchemy Core: no ORM, no model classes.

`contact list`, `contact show` and `sync status` only read, and a person types them
all day: loading the ORM and mapping the models (~60 ms) is most of what such a
process would spend beyond SQLAlchemy itself. So reading lives here, once, on any
executor: a plain Connection (`Database.reading()`, the read-only commands) or the
ORM Session of a transaction (RecordStore and TypeStore call these same functions,
and Session.execute flushes pending changes first, so a write then a read agree).

The tables are named lightweight (`table()`/`column()`, as search.py does) with the
columns read here; tests/store/test_reading.py keeps them equal to the models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Boolean, Integer, String, case, column, func, select, table

from contacthub.errors import NotFoundError
from contacthub.model import Contact, Record, RecordType
from contacthub.store import search
from contacthub.store.coltypes import JsonData, UTCDateTime

PREFIX_MIN = 4
READ_CHUNK = 500  # records decoded at a time when many are read
_ID_CHARS = re.compile(r"[0-9a-f-]+")

records = table(
    "records",
    column("id", String),
    column("type_id", Integer),
    column("display_name", String),
    column("data", JsonData()),
    column("created_at", UTCDateTime()),
    column("updated_at", UTCDateTime()),
    column("deleted_at", UTCDateTime()),
    column("deleted_reason", String),
    column("version", Integer),
    column("seq", Integer),
)
record_types = table(
    "record_types",
    column("id", Integer),
    column("name", String),
    column("name_key", String),
    column("based_on", String),
    column("builtin", Boolean),
)
record_categories = table(
    "record_categories", column("record_id", String), column("category_key", String), column("category", String)
)
record_aliases = table("record_aliases", column("alias_id", String), column("record_id", String))

# A record row with its type's columns, as `to_record` reads it.
_RECORD = select(
    records,
    record_types.c.name.label("type_name"),
    record_types.c.based_on.label("type_based_on"),
    record_types.c.builtin.label("type_builtin"),
).join_from(records, record_types, records.c.type_id == record_types.c.id)


ORDERS = ("name", "company", "changed")  # the list orders a caller may ask for: an allow-list


def _order_by(order: str) -> list[Any]:
    """The ORDER BY of a list order; anything not in ORDERS is an error, never SQL."""
    r = records.c
    by_name = [func.lower(r.display_name), r.id]
    if order == "name":
        return by_name
    if order == "company":  # records without a company last, then by name
        company = func.lower(func.coalesce(r.data["organization"].as_string(), ""))
        return [case((company == "", 1), else_=0), company, *by_name]
    if order == "changed":  # seq rises with every change: the last changed first
        return [r.seq.desc(), r.id]
    raise ValueError(f"unknown order {order!r} (known: {', '.join(ORDERS)})")


def type_key(name: str) -> str:
    return name.strip().casefold()


def record_contact(record_id: str, data: dict[str, Any]) -> Contact:
    """A record's contact; one stored without a UID has its record id as UID.

    Records adopted from Graph or EWS have no UID (those services keep none). A
    UID made up at each rendering would give every update of the copy a new one,
    which a CardDAV server refuses (RFC 6352 5.3.2.1, CARDDAV:no-uid-conflict)
    and a phone takes for another contact: the id is stable and already unique.
    """
    contact = Contact.from_dict(data)
    if not contact.uid:
        contact.uid = record_id
    return contact


def to_record(row: Any) -> Record:
    """A Record from a row of `_RECORD`."""
    return Record(
        id=row.id,
        type=RecordType(name=row.type_name, based_on=row.type_based_on, builtin=bool(row.type_builtin)),
        contact=record_contact(row.id, row.data),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        deleted_reason=row.deleted_reason or "",
        version=row.version,
    )


class Reader:
    """Reads on `executor`: a Connection, or a Session (whose pending changes are flushed first)."""

    def __init__(self, executor: Any) -> None:
        self._ex = executor

    def execute(self, statement: Any) -> Any:
        """Another read in the same transaction (e.g. `sync status` on the sync tables)."""
        return self._ex.execute(statement)

    # -- record types (D1) ------------------------------------------------------

    def types(self) -> list[RecordType]:
        """Built-ins first (business contact, account), then custom types by name."""
        t = record_types.c
        rows = self._ex.execute(select(record_types).order_by(case((t.builtin, t.id), else_=2**31 - 1), t.name_key))
        return [RecordType(name=r.name, based_on=r.based_on, builtin=bool(r.builtin)) for r in rows]

    def type_counts(self) -> dict[str, int]:
        """How many live records each type holds (its own records, not those of types based on it)."""
        r, t = records.c, record_types.c
        stmt = (
            select(t.name, func.count(r.id))
            .join_from(record_types, records, (r.type_id == t.id) & r.deleted_at.is_(None), isouter=True)
            .group_by(t.name)
        )
        return {name: count for name, count in self._ex.execute(stmt)}

    def type_row(self, name: str) -> Any:
        """The type's row (id, name, based_on, builtin); an unknown name is an error naming the known ones."""
        row = self._ex.execute(select(record_types).where(record_types.c.name_key == type_key(name))).first()
        if row is None:
            known = ", ".join(t.name for t in self.types())
            raise NotFoundError(f"unknown record type {name!r} (known: {known})")
        return row

    def type(self, name: str) -> RecordType:
        row = self.type_row(name)
        return RecordType(name=row.name, based_on=row.based_on, builtin=bool(row.builtin))

    def type_ids_of_kind(self, name: str):
        """A subquery: the type's id and, for a built-in, those of the types based on it (D1)."""
        row, t = self.type_row(name), record_types.c
        if not row.builtin:
            return select(t.id).where(t.id == row.id)
        return select(t.id).where((t.id == row.id) | (~t.builtin & (t.based_on == row.based_on)))

    def categories_in_use(self, kind: str) -> list[str]:
        """The categories live records of type `kind` (with the types based on it) have, as written."""
        r, categories = records.c, record_categories.c
        stmt = (
            select(record_categories.c.category)
            .distinct()
            .join_from(record_categories, records, categories.record_id == r.id)
            .where(r.deleted_at.is_(None), r.type_id.in_(self.type_ids_of_kind(kind)))
        )
        return list(self._ex.execute(stmt).scalars())

    # -- records ----------------------------------------------------------------

    def record(self, id_or_prefix: str) -> Record:
        """The record with this id, unique id prefix or merged-away id (I3)."""
        return self._records(_RECORD.where(records.c.id == self.find_id(id_or_prefix)))[0]

    def records(
        self,
        deleted: bool | None = False,
        type_name: str | None = None,
        category: str | None = None,
        text: str | None = None,
    ) -> list[Record]:
        """Records sorted by name. `deleted`: False = live ones, True = Deleted Items, None = all.

        `type_name`: a built-in type takes in the types based on it (D1). `text`: only
        records whose name, company, e-mail, phone or notes hold every word of it (U1).
        """
        return list(self.stream(deleted, type_name, category, text))

    def stream(
        self,
        deleted: bool | None = False,
        type_name: str | None = None,
        category: str | None = None,
        text: str | None = None,
    ) -> Iterator[Record]:
        """As `records`, decoded a chunk at a time (a server-side cursor on PostgreSQL): memory stays flat."""
        stmt = self._selected(deleted, type_name, category, text).execution_options(yield_per=READ_CHUNK)
        for row in self._ex.execute(stmt):
            yield to_record(row)

    def page(
        self,
        offset: int,
        limit: int,
        deleted: bool | None = False,
        type_name: str | None = None,
        category: str | None = None,
        text: str | None = None,
        order: str = "name",
    ) -> tuple[list[Record], int, int]:
        """(records, total, offset) of one page of `records`: counted and cut in SQL, so a page
        costs the same at any size. An offset past the end shows the last record.
        `order`: one of ORDERS (name, company, changed = last changed first)."""
        stmt = self._selected(deleted, type_name, category, text, order)
        total = self._ex.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar() or 0
        offset = max(0, min(offset, max(0, total - 1)))
        rows = self._ex.execute(stmt.offset(offset).limit(limit))
        return [to_record(row) for row in rows], total, offset

    def _selected(self, deleted, type_name, category, text, order: str = "name"):
        """The records `records` selects, in name order (or `order`, one of ORDERS)."""
        r = records.c
        stmt = _RECORD
        if deleted is True:
            stmt = stmt.where(r.deleted_at.is_not(None))
        elif deleted is False:
            stmt = stmt.where(r.deleted_at.is_(None))
        if type_name is not None:
            stmt = stmt.where(r.type_id.in_(self.type_ids_of_kind(type_name)))
        if category is not None:
            key = category.strip().casefold()
            categories = record_categories.c
            stmt = stmt.where(r.id.in_(select(categories.record_id).where(categories.category_key == key)))
        if text is not None and text.strip():
            stmt = stmt.where(r.id.in_(search.matching_ids(self._ex, text)))
        return stmt.order_by(*_order_by(order))

    def changed_since(self, seq: int) -> list[Record]:
        """Records (deleted ones too) changed after `seq`, in change order (RecordStore.changed_since)."""
        return self._records(_RECORD.where(records.c.seq > seq).order_by(records.c.seq, records.c.id))

    def _records(self, stmt) -> list[Record]:
        # In chunks: all rows and their decoded JSON at once cost more than the records themselves.
        return [to_record(row) for row in self._ex.execute(stmt.execution_options(yield_per=READ_CHUNK))]

    def find_id(self, id_or_prefix: str) -> str:
        """The id of the record `id_or_prefix` names: exact, merged away (I3), or a unique prefix."""
        key = id_or_prefix.strip().lower()
        r, aliases = records.c, record_aliases.c
        if self._ex.execute(select(r.id).where(r.id == key)).first() is not None:
            return key
        merged = self._ex.execute(select(aliases.record_id).where(aliases.alias_id == key)).scalar()
        if merged is not None:  # I3: a merged-away id finds the record it was merged into
            return self.find_id(merged)
        if len(key) < PREFIX_MIN:
            raise NotFoundError(f"record id {id_or_prefix!r} is too short: give at least {PREFIX_MIN} characters")
        if not _ID_CHARS.fullmatch(key):
            raise NotFoundError(f"no record with id {id_or_prefix!r}")
        found = self._ex.execute(
            select(r.id, r.display_name).where(r.id.startswith(key)).order_by(r.id).limit(4)
        ).all()
        if not found:
            found = self._merged_into(key)
        if not found:
            raise NotFoundError(f"no record with id {id_or_prefix!r}")
        if len(found) > 1:
            shown = ", ".join(f"{f.id[:12]} ({f.display_name or 'no name'})" for f in found[:3])
            more = ", ..." if len(found) > 3 else ""
            raise NotFoundError(f"record id {id_or_prefix!r} is ambiguous: matches {shown}{more}; give more characters")
        return found[0].id

    def _merged_into(self, prefix: str) -> list[Any]:
        """The records that merged-away ids starting with `prefix` now stand for (I3)."""
        aliases, r = record_aliases.c, records.c
        ids = sorted(set(self._ex.execute(select(aliases.record_id).where(aliases.alias_id.startswith(prefix)).limit(4)).scalars()))
        if not ids:
            return []
        return self._ex.execute(select(r.id, r.display_name).where(r.id.in_(ids)).order_by(r.id)).all()
