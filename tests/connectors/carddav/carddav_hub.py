"""A business database synced with one CardDAV address book, through the real engine."""

from __future__ import annotations

from pathlib import Path

from carddav_phone import Phone, marker_of
from carddav_servers import Server
from conftest import open_connector

from contacthub.model import Contact, Name, Typed
from contacthub.store import open_database
from contacthub.sync.engine import run_pass
from contacthub.sync.target import SyncSettings, Target


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"])])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class CardDavHub:
    """One database, one address book; `sync()` runs a pass like `sync run` does (a fresh connector each time)."""

    def __init__(self, tmp_path: Path, server: Server, book: str, location: str | None = None, **options) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.location = location or book
        self.options = options
        self.db = open_database(f"sqlite:///{tmp_path / 'hub.sqlite'}")
        self.settings = SyncSettings(Target("carddav", {"location": self.location}))
        self.phone = Phone(book, server.auth)
        self.connector = None

    def open(self):
        return open_connector(self.server, self.location, self.tmp_path / "cache", **self.options)

    def sync(self, connector=None, **options):
        self.connector = connector or self.open()
        try:
            return run_pass(self.db, self.settings, self.connector, lock_dir=self.tmp_path, **options)
        finally:
            self.connector.close()

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

    def copies(self) -> dict[str, list[str]]:
        """record id -> href paths of the marked copies of this database in the book (several = twins)."""
        found: dict[str, list[str]] = {}
        for href, card in self.phone.parsed().items():
            marker = marker_of(card)
            if marker and marker[0] == self.db.id:
                found.setdefault(marker[1], []).append(href)
        return found

    def copy_card(self, record_id: str):
        (href,) = self.copies()[record_id]
        return href, self.phone.parsed()[href]

    def assert_converged(self, ids) -> None:
        """Every live record has exactly one copy holding its title, and one more pass changes nothing."""
        copies = self.copies()
        assert {r: len(h) for r, h in copies.items()} == {r: 1 for r in ids}, copies
        for record_id in ids:
            record = self.record(record_id)
            assert not record.is_deleted, record_id
            card = self.phone.parsed()[copies[record_id][0]]
            assert card.fn.value == record.contact.display_name
            if record.contact.title:
                assert card.title.value == record.contact.title
        result = self.sync()
        assert not result.report.problems and result.report.done == {}, (result.report.done, result.report.problems)
