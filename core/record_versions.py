"""D4: a record's versions rebuilt from its history: what each change did, and bringing a version back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contacthub.contact_diff import FieldChange, contact_diff
from contacthub.errors import NotFoundError
from contacthub.model import Contact, Record

if TYPE_CHECKING:
    from contacthub.store.history import HistoryEntry


@dataclass(frozen=True)
class Version:
    contact: Contact
    type_name: str


def versions(record: Record, entries: list[HistoryEntry]) -> dict[int, Version]:
    """Every version the history can rebuild: a change to version v keeps version v - 1."""
    found = {record.version: Version(record.contact, record.type.name)}
    for entry in entries:
        if entry.action != "conflict" and entry.contact is not None:
            found[entry.version - 1] = Version(entry.contact, entry.type_name)
    return found


def changes(record: Record, entries: list[HistoryEntry]) -> list[list[FieldChange]]:
    """Per history entry, its field changes as old → new.

    A conflict entry (S10) shows the losing value → the value kept.
    """
    known = versions(record, entries)
    result = []
    for entry in entries:
        after = known.get(entry.version)
        diff = contact_diff(entry.contact, after.contact if after else None) if after else []
        before_type = entry.type_name if entry.action != "create" else None
        if after and before_type and before_type != after.type_name:
            diff.insert(0, FieldChange("type", before_type, after.type_name))
        result.append(diff)
    return result


def revert(tx, record_id: str, version: int, source: str = "user") -> tuple[Record, Record, list[FieldChange]]:
    """Bring back `version` of the record as a new version (history kept): (before, after, what changed)."""
    record = tx.records.get(record_id)
    known = versions(record, tx.records.history(record.id))
    if version not in known:
        have = ", ".join(str(v) for v in sorted(known))
        raise NotFoundError(f"record {record.id[:8]} has no version {version} to bring back (versions kept: {have})")
    wanted = known[version]
    diff = contact_diff(record.contact, wanted.contact)
    if wanted.type_name != record.type.name:
        diff.insert(0, FieldChange("type", record.type.name, wanted.type_name))
    updated = tx.records.update(
        record.id, wanted.contact, source=source, type_name=wanted.type_name, note=f"reverted to version {version}"
    )
    return record, updated, diff
