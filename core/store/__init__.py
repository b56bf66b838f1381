"""The business database: records, record types, history, Deleted Items (D1-D4).

    db = open_database("sqlite:////path/to/contacts.db")
    with db.transaction() as tx:
        rec = tx.records.add(contact)
    with db.reading() as read:  # read-only, SQLAlchemy Core: no ORM loaded
        records = read.records()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contacthub.store.database import Database, Tx, open_database

if TYPE_CHECKING:
    from contacthub.store.history import HistoryEntry

__all__ = ["Database", "HistoryEntry", "Tx", "open_database"]


def __getattr__(name: str) -> Any:
    # HistoryEntry's module loads the ORM models: only when asked for (`contact list` never is).
    if name == "HistoryEntry":
        from contacthub.store.history import HistoryEntry

        return HistoryEntry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
