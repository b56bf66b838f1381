"""The business database: records, record types, history, Deleted Items (D1-D4).

    db = open_database("sqlite:////path/to/contacts.db")
    with db.transaction() as tx:
        rec = tx.records.add(contact)
"""

from contacthub.store.database import Database, Tx, open_database
from contacthub.store.history import HistoryEntry

__all__ = ["Database", "HistoryEntry", "Tx", "open_database"]
