"""One business database synced with the fake Exchange folder, for the ews sync tests."""

from __future__ import annotations

from ews_helpers import FOLDER, open_ews

from contacthub.model import Contact, Name, Typed
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness


def person(given: str, **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"], pref=True)])
    fields.setdefault("phones", [Typed("+44 20 7946 0001", ["work", "voice"]), Typed("+44 7700 900001", ["cell"])])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} Tester", name=Name(family="Tester", given=given), **fields)


class EwsHub(SyncHarness):
    """One database, one Exchange folder."""

    def __init__(self, tmp_path, fake) -> None:
        super().__init__(tmp_path, Target("ews", {"location": f"ann@example.com/{FOLDER}"}), lambda: open_ews(tmp_path))
        self.fake = fake

    def copies(self) -> dict[str, list[str]]:
        """record id -> item ids of this database's marked copies in the folder (several = twins)."""
        found: dict[str, list[str]] = {}
        for item_id in self.fake.folder(FOLDER).items:
            database_id, _, record_id = (self.fake.marker(item_id) or "::").partition(":")
            if database_id == self.db.id:
                found.setdefault(record_id, []).append(item_id)
        return found

    def copy_id(self, record_id: str) -> str:
        (item_id,) = self.copies()[record_id]
        return item_id

    def assert_converged(self, ids) -> None:
        assert {r: len(c) for r, c in self.copies().items()} == {r: 1 for r in ids}
        result = self.sync()
        assert not result.report.problems and result.report.done == {}, (result.report.done, result.report.problems)
