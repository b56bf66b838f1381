"""One business database synced with the fake Outlook folder, for the graph sync tests."""

from __future__ import annotations

from graph_helpers import FOLDER, open_graph

from contacthub.connectors.graph.mapping import MARKER_PROPERTY
from contacthub.model import Contact, Name, Typed
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"], pref=True)])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class GraphHub(SyncHarness):
    """One database, one Outlook folder."""

    def __init__(self, tmp_path, fake) -> None:
        super().__init__(tmp_path, Target("graph", {"location": FOLDER}), lambda: open_graph(tmp_path / "cache"))
        self.fake = fake

    def copies(self) -> dict[str, list[str]]:
        """record id -> ids of the marked copies in the folder (several = twins)."""
        found: dict[str, list[str]] = {}
        for cid, item in self.fake.contacts(FOLDER).items():
            marker = item["_props"].get(MARKER_PROPERTY, "")
            if marker:
                found.setdefault(marker.partition(":")[2], []).append(cid)
        return found

    def copy(self, record_id: str) -> tuple[str, dict]:
        (cid,) = self.copies()[record_id]
        return cid, self.fake.contacts(FOLDER)[cid]
