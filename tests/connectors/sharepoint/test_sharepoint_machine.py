"""A Hypothesis state machine over sync with a SharePoint list that answers as Graph's docs show (issue 11).

Random steps: records added and their job title changed in the database, the
job title changed in the list by a user, item writes throttled (429/503 with a
Retry-After longer than the client waits), passes. Checked after every pass for
each record whose write did not fail (after a clean pass: for all, and no other
copy is there): one copy; it holds the record's job title; the record holds
exactly what the database and the list user gave it, the database winning a
field both changed (S3, S4, S10), and the
fields the list cannot hold (a second e-mail, a home address, e-mail types, a
birthday) never lost (S11). A pass that follows a clean pass with nothing
changed writes nothing and no item version climbs.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule
from sharepoint_fake import FakeSharePoint
from sharepoint_helpers import open_sharepoint

from contacthub.connectors.sharepoint.mapping import MARKER_COLUMN
from contacthub.model import Address, Contact, Name, Typed
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness

GIVEN = ("Ann", "Ben", "Cid", "Dora", "Eve")
TITLES = ("Buyer", "Chief buyer", "Head of purchasing", "")
PICK = st.integers(min_value=0, max_value=63)


def person(given: str, n: int) -> Contact:
    return Contact(
        uid=f"uid-{n}", display_name=f"{given} Tester", name=Name("Tester", given),
        emails=[Typed(f"{given.lower()}@example.com", ["work"], pref=True), Typed(f"{given.lower()}@home.example", ["home"])],
        addresses=[Address(street=f"{n} Mill Road", locality="York", types=["work"]),
                   Address(street=f"{n} Home Lane", locality="Leeds", postal_code="LS1 1AA", types=["home"])],
        birthday="1980-04-01",
    )  # fmt: skip


class ListMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="contacthub-sharepoint-machine-"))
        self.fake = FakeSharePoint().__enter__()
        self.hub = SyncHarness(self.tmp, Target("sharepoint", {"location": "https://contoso.sharepoint.com/sites/sales/Lists/Contacts"}),
                               open_sharepoint)  # fmt: skip
        self.expected: dict[str, Contact] = {}  # record id -> what it holds after the next clean pass
        self.db_titles: dict[str, str] = {}  # changed in the database since the last clean pass
        self.list_titles: dict[str, str] = {}  # changed in the list since the last clean pass
        self.clean = False

    def teardown(self) -> None:
        self.fake.__exit__(None, None, None)
        self.hub.db.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def copies(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for iid, item in self.fake.items.items():
            if item["fields"].get(MARKER_COLUMN):
                found.setdefault(item["fields"][MARKER_COLUMN].partition(":")[2], []).append(iid)
        return found

    @rule(given=st.sampled_from(GIVEN))
    def add_record(self, given: str) -> None:
        contact = person(given, len(self.expected) + 1)
        self.expected[self.hub.add(contact)] = contact
        self.clean = False

    @precondition(lambda self: self.expected)
    @rule(pick=PICK, title=st.sampled_from(TITLES))
    def edit_in_the_database(self, pick: int, title: str) -> None:
        record_id = list(self.expected)[pick % len(self.expected)]  # in the order made: ids are random
        self.hub.edit(record_id, title=title)
        self.db_titles[record_id] = title
        self.clean = False

    @precondition(lambda self: self.copies())
    @rule(pick=PICK, title=st.sampled_from(TITLES))
    def edit_in_the_list(self, pick: int, title: str) -> None:
        copies = self.copies()
        record_id = [r for r in self.expected if r in copies][pick % len(copies)]
        self.fake.user_edit(copies[record_id][0], JobTitle=title)
        self.list_titles[record_id] = title
        self.clean = False

    @rule(count=st.integers(1, 2), status=st.sampled_from([429, 503]))
    def throttle_the_next_writes(self, count: int, status: int) -> None:
        self.fake.throttle_writes(count, status=status, retry_after="300")

    @rule()
    def sync(self) -> None:
        if self.clean and not self.fake.throttled:
            versions, before = self.fake.versions(), len(self.fake.requests)
            result = self.hub.sync()
            assert result.plan.actions == [] and not result.report.problems
            assert [r for r in self.fake.requests[before:] if r[0] != "GET"] == [] and self.fake.versions() == versions
            return
        result = self.hub.sync()
        problems = result.report.problems
        assert all("could not" in p for p in problems), problems
        copies = self.copies()
        for record_id, contact in self.expected.items():
            if any(f"({record_id[:8]})" in p for p in problems):
                continue  # its write failed: what it waits for stays pending, the next pass does it
            # A field changed on one side takes that side's value; changed on both, the database wins (S10).
            db_title = self.db_titles.pop(record_id, contact.title)
            list_title = self.list_titles.pop(record_id, contact.title)
            self.expected[record_id] = contact = contact.copy(title=db_title if db_title != contact.title else list_title)
            assert self.hub.record(record_id).contact == contact
            assert len(copies[record_id]) == 1 and self.fake.items[copies[record_id][0]]["fields"]["JobTitle"] == contact.title
        if problems:
            return
        assert sorted(copies) == sorted(self.expected)
        self.clean = True


ListMachine.TestCase.settings = settings(
    max_examples=15, stateful_step_count=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_s3_s4_s11_sync_with_a_documented_sharepoint_list = ListMachine.TestCase
