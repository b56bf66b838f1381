"""Records: add, find, change, Deleted Items (D3), history (D4), change feed (seq)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from contacthub.errors import ContactHubError, NotFoundError
from contacthub.model import BUSINESS_CONTACT, Contact, Record
from contacthub.store import bulk, history, search
from contacthub.store.bulk import categories_of as _categories
from contacthub.store.history import HistoryEntry
from contacthub.store.reading import READ_CHUNK, Reader, record_contact
from contacthub.store.schema import RecordCategory, RecordRow, RecordTypeRow, utcnow
from contacthub.store.seq import current_seq, next_seq
from contacthub.store.types import TypeStore, to_model

DELETE_REASONS = ("user", "target")


def new_id() -> str:
    return str(uuid.uuid4())


def to_record(row: RecordRow) -> Record:
    return Record(
        id=row.id,
        type=to_model(row.type),
        contact=record_contact(row.id, row.data),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        deleted_reason=row.deleted_reason or "",
        version=row.version,
    )


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    # Through the model and back, so JSON quirks (tuples, key order) never count as a change.
    return Contact.from_dict(data).to_dict()


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [k for k in new if old.get(k) != new.get(k)]


class RecordStore:
    def __init__(self, session: Session, types: TypeStore) -> None:
        self._session = session
        self._types = types

    # -- reading ------------------------------------------------------------

    def get(self, id_or_prefix: str, include_deleted: bool = True) -> Record:
        record = Reader(self._session).record(id_or_prefix)
        if record.is_deleted and not include_deleted:
            raise NotFoundError(f"record {record.id} is in Deleted Items")
        return record

    def list(
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
        return Reader(self._session).records(deleted=deleted, type_name=type_name, category=category, text=text)

    def stream(
        self,
        deleted: bool | None = False,
        type_name: str | None = None,
        category: str | None = None,
        text: str | None = None,
    ) -> Iterator[Record]:
        """As `list`, read a chunk at a time (a server-side cursor on PostgreSQL): memory stays flat."""
        return Reader(self._session).stream(deleted, type_name, category, text)

    def ids(self) -> list[str]:
        """Every record's id, Deleted Items too, sorted by name: to read many records a chunk at a time."""
        stmt = select(RecordRow.id).order_by(func.lower(RecordRow.display_name), RecordRow.id)
        return list(self._session.scalars(stmt))

    def get_many(self, ids: Iterable[str]) -> dict[str, Record]:
        """The records with these exact ids, by id (ids that do not exist are left out)."""
        stmt = select(RecordRow).where(RecordRow.id.in_(list(ids)))
        return {row.id: to_record(row) for row in self._session.scalars(stmt)}

    def contents(self) -> Iterator[tuple[str, bool, Contact]]:
        """Every record (Deleted Items too) as (id, in Deleted Items, contact), read a chunk at a time."""
        stmt = select(RecordRow.id, RecordRow.deleted_at, RecordRow.data).execution_options(yield_per=READ_CHUNK)
        for record_id, deleted_at, data in self._session.execute(stmt):
            yield record_id, deleted_at is not None, record_contact(record_id, data)

    def history(self, id_or_prefix: str) -> list[HistoryEntry]:
        """The record's changes, oldest first."""
        return history.entries(self._session, self._find(id_or_prefix).id)

    def changed_since(self, seq: int) -> list[Record]:
        """Records (deleted ones too) changed after `seq`, in change order.

        Read `max_seq()` *before* calling this and keep that as the next
        watermark: a change committed in between then shows up next time
        instead of being skipped.
        """
        return Reader(self._session).changed_since(seq)

    def max_seq(self) -> int:
        """The newest change number handed out (0 for a new database)."""
        return current_seq(self._session)

    # -- changing ---------------------------------------------------------

    def add(self, contact: Contact, type_name: str = BUSINESS_CONTACT, source: str = "user") -> Record:
        _check_source(source)
        type_row = self._types.row(type_name)
        seq = next_seq(self._session)
        now = utcnow()
        row = RecordRow(
            id=new_id(),
            type_id=type_row.id,
            type=type_row,
            display_name=contact.best_name(),
            data=contact.to_dict(),
            created_at=now,
            updated_at=now,
            version=1,
            seq=seq,
        )
        self._session.add(row)
        self._session.flush()  # the row must exist before categories and history point at it
        self._set_categories(row.id, contact.categories)
        search.write(self._session, row.id, contact)
        history.add_entry(
            self._session,
            record_id=row.id,
            version=1,
            changed_at=now,
            action="create",
            source=source,
            data=None,
            type_name=type_row.name,
        )
        self._session.flush()
        return to_record(row)

    def add_many(
        self, contacts: Iterable[tuple[str, Contact] | tuple[str, Contact, dict]], type_name: str = BUSINESS_CONTACT, source: str = "user"
    ) -> int:
        """Add many new records at once: (id from `new_id()`, contact[, contact.to_dict() if the caller has it]).

        Returns how many.

        The same rows as `add` (record, categories, search text, a "create" history entry),
        written with one multi-row INSERT per table and one block of seq numbers, no ORM
        objects: an import of 100,000 cards calls this a chunk at a time.
        """
        _check_source(source)
        return bulk.add_many(self._session, self._types.row, contacts, type_name, source)

    def update(
        self,
        id: str,
        contact: Contact | None,
        source: str = "user",
        type_name: str | None = None,
        note: str = "",
    ) -> Record:
        """Change content and/or type (None keeps it). Unchanged -> no history, no new version."""
        _check_source(source)
        row = self._find(id)
        new_type = self._types.row(type_name) if type_name is not None else row.type
        new_data = _normalised(contact.to_dict() if contact is not None else row.data)
        if not row.data.get("uid") and new_data.get("uid") == row.id:
            new_data["uid"] = ""  # the UID such a record is read with (record_contact), not a change
        if not self._differs(row, new_data, new_type):
            return to_record(row)

        seq, row = self._lock(row.id)
        if not self._differs(row, new_data, new_type):  # someone made the same change meanwhile
            return to_record(row)
        old_data, old_type = row.data, row.type
        fields = _changed_fields(_normalised(old_data), new_data)
        parts = []
        if new_type.id != old_type.id:
            parts.append(f"type {old_type.name} -> {new_type.name}")
        if fields:
            parts.append("changed: " + ", ".join(fields))
        if note:
            parts.append(note)

        now = utcnow()
        row.version += 1
        row.seq = seq
        row.updated_at = now
        row.type_id, row.type = new_type.id, new_type
        if fields:
            row.data = new_data
            new_contact = Contact.from_dict(new_data)
            row.display_name = new_contact.best_name()
            self._set_categories(row.id, new_contact.categories)
            search.write(self._session, row.id, new_contact)
        history.add_entry(
            self._session,
            record_id=row.id,
            version=row.version,
            changed_at=now,
            action="retype" if new_type.id != old_type.id else "update",
            source=source,
            data=old_data,
            type_name=old_type.name,
            note="; ".join(parts),
        )
        self._session.flush()
        return to_record(row)

    def delete(self, id: str, reason: str = "user", source: str = "user", note: str = "") -> Record:
        """D3: move to Deleted Items. Already there -> unchanged (so a resumed sync can repeat it)."""
        if reason not in DELETE_REASONS:
            raise ValueError(f"delete reason must be one of {DELETE_REASONS}, not {reason!r}")
        _check_source(source)
        row = self._find(id)
        if row.deleted_at is not None:
            return to_record(row)
        seq, row = self._lock(row.id)
        if row.deleted_at is not None:
            return to_record(row)
        now = utcnow()
        self._bump(row, seq, now, "delete", source, note or f"moved to Deleted Items ({reason})")
        row.deleted_at = now
        row.deleted_reason = reason
        self._session.flush()
        return to_record(row)

    def restore(self, id: str, source: str = "user", note: str = "") -> Record:
        """D3: bring back from Deleted Items. Not deleted -> unchanged."""
        _check_source(source)
        row = self._find(id)
        if row.deleted_at is None:
            return to_record(row)
        seq, row = self._lock(row.id)
        if row.deleted_at is None:
            return to_record(row)
        self._bump(row, seq, utcnow(), "restore", source, note or "restored from Deleted Items")
        row.deleted_at = None
        row.deleted_reason = None
        self._session.flush()
        return to_record(row)

    def log_conflict(self, id: str, contact: Contact, source: str, note: str = "") -> None:
        """S10: keep a version that lost a sync conflict in history, without changing the record."""
        _check_source(source)
        row = self._find(id)
        history.add_entry(
            self._session,
            record_id=row.id,
            version=row.version,
            changed_at=utcnow(),
            action="conflict",
            source=source,
            data=contact.to_dict(),
            type_name=row.type.name,
            note=note,
        )
        self._session.flush()

    def purge(self, id: str) -> None:
        """D3: remove a record in Deleted Items for good, with its history and categories."""
        row = self._find(id)
        if row.deleted_at is None:
            # Purging is irreversible; only what already sits in Deleted Items may go.
            raise ContactHubError(f"record {row.id} is not in Deleted Items: delete it first")
        record_id = row.id
        self._session.expunge(row)
        # ON DELETE CASCADE takes history and categories along (SQLite: foreign_keys=ON).
        self._session.execute(delete(RecordRow).where(RecordRow.id == record_id))

    # -- helpers --------------------------------------------------------------

    def _find(self, id_or_prefix: str) -> RecordRow:
        row = self._session.get(RecordRow, id_or_prefix.strip().lower())
        if row is not None:  # the common case: an exact id, maybe already in the session
            return row
        return self._session.get_one(RecordRow, Reader(self._session).find_id(id_or_prefix))

    def _lock(self, record_id: str) -> tuple[int, RecordRow]:
        """Take the next seq, then re-read the row under a lock.

        Always in this order (counter first), so two writers can never hold
        each other's locks; the re-read sees whatever the previous writer committed.
        """
        seq = next_seq(self._session)
        row = self._session.scalars(
            select(RecordRow)
            .where(RecordRow.id == record_id)
            .with_for_update(of=RecordRow)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"record {record_id} was purged meanwhile")
        return seq, row

    @staticmethod
    def _differs(row: RecordRow, new_data: dict[str, Any], new_type: RecordTypeRow) -> bool:
        return new_type.id != row.type_id or _normalised(row.data) != new_data

    def _bump(self, row: RecordRow, seq: int, now: Any, action: history.Action, source: str, note: str) -> None:
        """A change that keeps the content (delete, restore): new version and seq, old one in history."""
        row.version += 1
        row.seq = seq
        row.updated_at = now
        history.add_entry(
            self._session,
            record_id=row.id,
            version=row.version,
            changed_at=now,
            action=action,
            source=source,
            data=row.data,
            type_name=row.type.name,
            note=note,
        )

    def _set_categories(self, record_id: str, categories: list[str]) -> None:
        self._session.execute(delete(RecordCategory).where(RecordCategory.record_id == record_id))
        seen = _categories(categories)
        if seen:
            self._session.execute(
                insert(RecordCategory),
                [{"record_id": record_id, "category_key": k, "category": v} for k, v in seen.items()],
            )


def _check_source(source: str) -> None:
    if not source or not source.strip():
        raise ValueError("a change needs a source (e.g. 'user', 'import', 'sync:vcf:~/Phone')")
