"""Weighing records without reading their contacts: what a pass needs of a record that has no copy.

A record without a link only asks "does it qualify, and under what name?" (D1, T3):
its type, whether it is deleted, its categories (only when a filter is set) and
the name the records table already keeps. On a first sync of 10,000 records,
decoding every contact twice (here and again when its copy is written) was a
tenth of the pass.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contacthub.model import Contact, Record, RecordType
from contacthub.store.schema import RecordCategory, RecordRow, RecordTypeRow


def light_records(session: Session, ids: list[str], with_categories: bool) -> dict[str, Record]:
    """Records by id with only the contact's display name (and categories, when asked) filled in."""
    if not ids:
        return {}
    categories: dict[str, list[str]] = {}
    if with_categories:
        stmt = select(RecordCategory.record_id, RecordCategory.category).where(RecordCategory.record_id.in_(ids))
        for record_id, category in session.execute(stmt):
            categories.setdefault(record_id, []).append(category)
    stmt = (
        select(RecordRow.id, RecordRow.display_name, RecordRow.deleted_at, RecordRow.version)
        .add_columns(RecordTypeRow.name, RecordTypeRow.based_on)
        .join(RecordTypeRow, RecordRow.type_id == RecordTypeRow.id)
        .where(RecordRow.id.in_(ids))
    )
    types: dict[tuple[str, str], RecordType] = {}
    found: dict[str, Record] = {}
    for record_id, name, deleted_at, version, type_name, based_on in session.execute(stmt):
        kind = types.get((type_name, based_on)) or types.setdefault((type_name, based_on), RecordType(type_name, based_on))
        contact = Contact(display_name=name or "", categories=categories.get(record_id, []))
        found[record_id] = Record(record_id, kind, contact, deleted_at=deleted_at, version=version)
    return found
