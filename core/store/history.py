"""D4: each change of a record leaves the version before it in the record's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from contacthub.model import Contact
from contacthub.store.reading import record_contact
from contacthub.store.schema import HistoryRow

Action = Literal["create", "update", "delete", "restore", "retype", "conflict", "merge"]
# "merge": another record was merged into this one (I3); `data` is that record's last version.
ACTIONS: tuple[str, ...] = ("create", "update", "delete", "restore", "retype", "conflict", "merge")


@dataclass(frozen=True)
class HistoryEntry:
    """One change of a record.

    `version` is the record version this change produced (create -> 1, the
    next change -> 2, ...). `contact` and `type_name` are the record as it was
    *before* the change, i.e. version ``version - 1``; for "create" there is no
    before, so `contact` is None and `type_name` is the type it was created as.

    "conflict" is the exception: a sync conflict's losing version (S10), kept
    here although it never became current; `version` is the version it lost to.
    """

    version: int
    changed_at: datetime
    action: str
    source: str
    contact: Contact | None
    type_name: str
    note: str = ""


def add_entry(
    session: Session,
    *,
    record_id: str,
    version: int,
    changed_at: datetime,
    action: Action,
    source: str,
    data: dict[str, Any] | None,
    type_name: str,
    note: str = "",
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown history action {action!r}")
    session.add(
        HistoryRow(
            record_id=record_id,
            version=version,
            changed_at=changed_at,
            action=action,
            source=source,
            data=data,
            type_name=type_name,
            note=note,
        )
    )


def entries(session: Session, record_id: str) -> list[HistoryEntry]:
    rows = session.scalars(
        select(HistoryRow).where(HistoryRow.record_id == record_id).order_by(HistoryRow.id)
    )
    return [
        HistoryEntry(
            version=r.version,
            changed_at=r.changed_at,
            action=r.action,
            source=r.source,
            contact=None if r.data is None else record_contact(record_id, r.data),  # as the record read then
            type_name=r.type_name,
            note=r.note,
        )
        for r in rows
    ]
