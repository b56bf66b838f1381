"""Engine test helpers: a SQLite business database, an in-memory target, and a pass runner."""

from __future__ import annotations

import dataclasses

from contacthub.model import Contact, Name, Typed
from contacthub.store import open_database
from contacthub.sync.engine import run_pass
from contacthub.sync.target import SyncSettings, Target
from contacthub.testing import MemoryConnector


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"])])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class Hub:
    """One database and one target, with a `sync()` that runs a pass like `sync run` does."""

    def __init__(self, tmp_path, url: str | None = None, **connector_options) -> None:
        self.tmp_path = tmp_path
        self.db = open_database(url or f"sqlite:///{tmp_path / 'hub.sqlite'}")
        self.target = MemoryConnector(**connector_options)
        self.settings = SyncSettings(Target("memory", {"location": "test"}))

    def configure(self, **changes) -> None:
        self.settings = dataclasses.replace(self.settings, **changes)

    def sync(self, **options):
        return run_pass(self.db, self.settings, self.target, lock_dir=self.tmp_path, **options)

    def add(self, contact: Contact, type_name: str = "business-contact") -> str:
        with self.db.transaction() as tx:
            return tx.records.add(contact, type_name=type_name).id

    def record(self, record_id: str):
        with self.db.transaction() as tx:
            return tx.records.get(record_id)

    def edit(self, record_id: str, **fields) -> None:
        with self.db.transaction() as tx:
            record = tx.records.get(record_id)
            tx.records.update(record_id, record.contact.copy(**fields))

    def copies(self) -> dict[str, tuple[str, Contact]]:
        """record id -> (remote id, contact) for every marked copy in the target."""
        return {
            marker.record_id: (rid, contact)
            for rid, (_etag, marker, contact) in self.target.items().items()
            if marker is not None
        }

    def plain(self) -> dict[str, Contact]:
        return {rid: c for rid, (_e, marker, c) in self.target.items().items() if marker is None}
