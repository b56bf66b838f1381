"""A Hypothesis state machine over the sync into an Outlook folder, through the graph connector and the strict fake.

Random steps on both sides: records added, edited and moved to Deleted Items in
the database; the user in Outlook editing and deleting synced copies and making
plain contacts; the service forgetting delta links (410 SyncStateNotFound),
throttling sub-requests and refusing whole batches for a pass; passes.

Checked after every step: no record is ever lost; at most one copy per record;
plain contacts are never written; no request of ours goes over the mailbox's
limit (the fake refuses none for concurrency); a pass raises only when the
service refused one of its reads (then it writes nothing). Checked after a clean pass (no
failure injected, no problem reported): the copies are exactly the live
records, each with its record's job title (S1, S3, S6); an Outlook edit reached
its record (S4); a copy the user deleted moved its record to Deleted Items (S5);
failed writes of earlier passes were all made up (U4).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from graph_fake import FakeGraph
from graph_helpers import FOLDER, open_graph
from graph_hub import GraphHub, person
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contacthub.connector import ConnectorError
from contacthub.sync.engine import MassDeletion
from contacthub.sync.plan import TargetLooksEmpty

TITLES = st.sampled_from(["", "Buyer", "Head of purchasing", "CEO"])
PICK = st.integers(min_value=0, max_value=63)
SLOW = settings._current_profile == "slow"


def _pick(items, index: int):
    items = sorted(items)
    return items[index % len(items)]


class GraphSyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="contacthub-graph-machine-"))
        self.fake = FakeGraph(strict=True, page_size=4).__enter__()
        self.hub = GraphHub(self.tmp, self.fake)
        open_graph(self.tmp / "cache").check()  # the folder exists from the start
        self.ever: set[str] = set()
        self.counter = 0
        self.plain: dict[str, str] = {}  # plain contact id -> its changeKey
        self.typed: dict[str, str] = {}  # S4: record id -> job title the user typed in Outlook
        self.copy_gone: set[str] = set()  # S5: records whose copy the user deleted
        self.injected = False

    def teardown(self) -> None:
        self.hub.db.dispose()
        self.fake.__exit__(None, None, None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------

    def _records(self) -> dict:
        with self.hub.db.transaction(readonly=True) as tx:
            return {r.id: r for r in tx.records.list(deleted=None)}

    def _live(self) -> set[str]:
        return {rid for rid, r in self._records().items() if not r.is_deleted}

    # -- the database ------------------------------------------------------------------

    @rule(title=TITLES)
    def add_record(self, title) -> None:
        self.counter += 1
        self.ever.add(self.hub.add(person(f"R{self.counter:03d}", title=title)))

    @precondition(lambda self: self.ever)
    @rule(pick=PICK, title=TITLES)
    def edit_record(self, pick, title) -> None:
        live = self._live()
        if live:
            rid = _pick(live, pick)
            self.hub.edit(rid, title=title)
            self.typed.pop(rid, None)  # both sides changed: the conflict rule decides, not S4

    @precondition(lambda self: self.ever)
    @rule(pick=PICK)
    def delete_record(self, pick) -> None:
        live = self._live()
        if live:
            rid = _pick(live, pick)
            with self.hub.db.transaction() as tx:
                tx.records.delete(rid)
            self.typed.pop(rid, None)

    # -- the user in Outlook -------------------------------------------------------------

    @precondition(lambda self: self.ever)
    @rule(pick=PICK, title=TITLES.filter(bool))
    def user_edits_a_copy(self, pick, title) -> None:
        copies = self.hub.copies()
        if copies:
            rid = _pick(copies, pick)
            self.fake.user_edit(FOLDER, copies[rid][0], jobTitle=title)
            self.typed[rid] = title

    @precondition(lambda self: self.ever)
    @rule(pick=PICK)
    def user_deletes_a_copy(self, pick) -> None:
        copies = self.hub.copies()
        if copies:
            rid = _pick(copies, pick)
            self.fake.user_delete(FOLDER, copies[rid][0])
            self.copy_gone.add(rid)
            self.typed.pop(rid, None)

    @rule()
    def user_makes_a_plain_contact(self) -> None:
        self.counter += 1
        cid = self.fake.user_create(FOLDER, person(f"Plain{self.counter:03d}"))
        self.plain[cid] = self.fake.contacts(FOLDER)[cid]["changeKey"]

    # -- the service --------------------------------------------------------------------

    @rule(dropped=st.booleans())
    def service_forgets_delta_links(self, dropped) -> None:
        if dropped:
            self.fake._issued.clear()  # fell out of the delta token cache
        else:
            self.fake.expire_tokens()

    @rule(count=st.integers(min_value=1, max_value=40))
    def service_throttles_the_next_pass(self, count) -> None:
        self.fake.throttle_subrequests(count)
        self.injected = True

    @rule(count=st.integers(min_value=1, max_value=8))
    def service_refuses_batches(self, count) -> None:
        self.fake.fail_batches(count, 503)
        self.injected = True

    # -- passes ---------------------------------------------------------------------------

    @rule()
    def sync(self) -> None:
        injected, self.injected = self.injected, False
        try:
            try:
                result = self.hub.sync()
            except (MassDeletion, TargetLooksEmpty):
                result = self.hub.sync(force=True)  # the safety check stopped it; the user looked and goes on
        except ConnectorError:
            assert injected  # a read the service refused ends the pass before any write; never otherwise
            return
        finally:
            self.fake.throttle_subrequests(0)
            self.fake.fail_batches(0)
        if injected or result.report.problems:
            return
        records = self._records()
        live = {rid for rid, r in records.items() if not r.is_deleted}
        copies = self.hub.copies()
        assert set(copies) == live, (sorted(copies), sorted(live))
        for rid in live:
            item = self.fake.contacts(FOLDER)[copies[rid][0]]
            assert item.get("jobTitle", "") == records[rid].contact.title, rid
        for rid, title in self.typed.items():
            assert records[rid].contact.title == title or records[rid].is_deleted, rid  # S4
        for rid in self.copy_gone:
            assert records[rid].is_deleted, rid  # S5
        self.typed.clear()
        self.copy_gone.clear()

    # -- always ----------------------------------------------------------------------------

    @invariant()
    def no_record_is_lost(self) -> None:
        assert self.ever <= set(self._records())

    @invariant()
    def at_most_one_copy_per_record(self) -> None:
        assert all(len(ids) == 1 for ids in self.hub.copies().values())

    @invariant()
    def plain_contacts_are_never_written(self) -> None:
        contacts = self.fake.contacts(FOLDER)
        assert {cid: contacts[cid]["changeKey"] for cid in self.plain} == self.plain

    @invariant()
    def never_over_the_mailbox_limit(self) -> None:
        assert self.fake.limit.refused == 0


class TestGraphSyncMachine(GraphSyncMachine.TestCase):
    """S1, S3, S4, S5, S6, S7, S12, U4 through the graph connector: random steps on both sides and in the service."""

    settings = settings(max_examples=200 if SLOW else 20, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
