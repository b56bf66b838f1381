"""A business database synced with one CardDAV address book, through the real engine."""

from __future__ import annotations

from pathlib import Path

from carddav_open import open_connector
from carddav_phone import Phone, marker_of
from carddav_servers import Server

from contacthub.model import Contact, Name, Typed
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"])])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class CardDavHub(SyncHarness):
    """One database, one address book."""

    def __init__(self, tmp_path: Path, server: Server, book: str, location: str | None = None, **options) -> None:
        self.server = server
        self.location = location or book
        self.options = options
        super().__init__(tmp_path, Target("carddav", {"location": self.location}), self.open)
        self.phone = Phone(book, server.auth)

    def open(self):
        return open_connector(self.server, self.location, self.tmp_path / "cache", **self.options)


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
