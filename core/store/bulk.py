"""Many new records in one go (an import's chunk): the rows `RecordStore.add` writes, as multi-row INSERTs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from contacthub.model import Contact
from contacthub.store import search
from contacthub.store.schema import HistoryRow, RecordCategory, RecordRow, RecordSearchRow, RecordTypeRow, utcnow
from contacthub.store.seq import next_seqs


def add_many(
    session: Session,
    type_row_of: Callable[[str], RecordTypeRow],
    contacts: Iterable[tuple[str, Contact] | tuple[str, Contact, dict]],
    type_name: str,
    source: str,
) -> int:
    """See `RecordStore.add_many`: one block of seq numbers, one INSERT per table, no ORM objects."""
    items = list(contacts)
    if not items:
        return 0
    type_row = type_row_of(type_name)  # once per chunk, not once per card
    first = next_seqs(session, len(items))
    now = utcnow()
    records, categories, bodies, entries = [], [], [], []
    for n, (record_id, contact, *data) in enumerate(items):
        records.append({
            "id": record_id, "type_id": type_row.id, "display_name": contact.best_name(),
            "data": data[0] if data else contact.to_dict(),
            "created_at": now, "updated_at": now, "deleted_at": None, "deleted_reason": None,
            "version": 1, "seq": first + n,
        })  # fmt: skip
        categories += [{"record_id": record_id, "category_key": k, "category": v} for k, v in categories_of(contact.categories).items()]
        bodies.append({"record_id": record_id, "body": search.body_of(contact)})
        entries.append({
            "record_id": record_id, "version": 1, "changed_at": now, "action": "create", "source": source,
            "data": None, "type_name": type_row.name, "note": "",
        })  # fmt: skip
    for table, rows in ((RecordRow, records), (RecordCategory, categories), (RecordSearchRow, bodies), (HistoryRow, entries)):
        if rows:
            session.execute(insert(table), rows)
    return len(items)


def categories_of(categories: list[str]) -> dict[str, str]:
    """The record_categories rows of a contact: casefolded key -> the first spelling, blanks and repeats left out."""
    seen: dict[str, str] = {}
    for c in categories:
        key = c.strip().casefold()
        if key and key not in seen:
            seen[key] = c.strip()
    return seen
