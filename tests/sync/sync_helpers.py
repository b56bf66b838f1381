"""Engine test helpers: a SQLite business database, an in-memory target, and a pass runner."""

from __future__ import annotations

import dataclasses

from contacthub.model import Contact, Name, Typed
from contacthub.sync.engine import run_pass
from contacthub.sync.target import Target
from contacthub.testing import MemoryConnector, SyncHarness


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"])])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class Hub(SyncHarness):
    """One database and one in-memory target, kept open across passes (its state lives in it)."""

    def __init__(self, tmp_path, url: str | None = None, **connector_options) -> None:
        super().__init__(tmp_path, Target("memory", {"location": "test"}), None, url)
        self.target = MemoryConnector(**connector_options)

    def configure(self, **changes) -> None:
        self.settings = dataclasses.replace(self.settings, **changes)

    def sync(self, **options):
        return run_pass(self.db, self.settings, self.target, lock_dir=self.tmp_path, **options)

    def copies(self) -> dict[str, tuple[str, Contact]]:
        """record id -> (remote id, contact) for every marked copy in the target."""
        return {
            marker.record_id: (rid, contact)
            for rid, (_etag, marker, contact) in self.target.items().items()
            if marker is not None
        }

    def plain(self) -> dict[str, Contact]:
        return {rid: c for rid, (_e, marker, c) in self.target.items().items() if marker is None}
