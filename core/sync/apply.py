"""Carry out a plan: target writes in batches, each batch's database side in one transaction.

Order of a step: write the target first, then commit the record change and the
link together. A pass killed between the two leaves a target change whose link
is missing or stale, and the next pass recognises it: a created copy carries
its marker and is adopted (no twin); an updated copy has a new etag whose
content equals the merge, so merging again changes nothing; a deleted copy is
gone while its record no longer qualifies, so the link is just dropped (S12).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from contacthub.connector import Connector, ConnectorError, Marker, NotFound, Result, Throttled, WriteRequest, WrongEtag
from contacthub.errors import ContactHubError
from contacthub.model import Contact
from contacthub.sync.batching import batches
from contacthub.sync.copies import copy_hash, to_copy
from contacthub.sync.plan import ADOPT, CREATE, DELETE, DROP, MOVE, REFRESH, SYNC, TRASH, Action, Plan
from contacthub.sync.state import TargetState

SEED_READ_CHUNK = 200  # records read at a time while the copies of a seed are handed over
MAX_THROTTLE_RETRIES = 5
MAX_THROTTLE_WAIT = 120.0  # seconds; a longer Retry-After ends the pass instead


class SyncAborted(ContactHubError):
    """The target failed as a whole mid-pass; what was done is committed, the rest waits for the next pass.

    Partly done (U4). The engine attaches the pass's `result` (plan and report so far) when it has one.
    """

    exit_code = 3
    result = None


class Failure(NamedTuple):
    """A target write that failed: which copy, why, and its line among the report's problems."""

    what: str
    why: str
    line: str


@dataclass
class PassReport:
    done: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # one line per item left undone, failures included
    conflicts: list[str] = field(default_factory=list)
    writes: int = 0  # target writes the plan asked for
    failures: list[Failure] = field(default_factory=list)  # each failed target write (U4)
    ended_early: str = ""  # why the pass stopped before its end (the target failed as a whole, or kept throttling)

    def count(self, kind: str, n: int = 1) -> None:
        self.done[kind] = self.done.get(kind, 0) + n

    @property
    def changed_anything(self) -> bool:
        return any(self.done.get(k) for k in (CREATE, SYNC, DELETE, TRASH))


def retrying(call: Callable[[], list[Result]], what: str) -> list[Result]:
    """Run a target call, waiting out throttling replies a bounded number of times."""
    for attempt in range(MAX_THROTTLE_RETRIES + 1):
        try:
            return call()
        except Throttled as exc:
            if attempt == MAX_THROTTLE_RETRIES or exc.retry_after > MAX_THROTTLE_WAIT:
                raise SyncAborted(f"{what}: the target keeps asking to slow down ({exc}); try again later") from None
            time.sleep(max(exc.retry_after, 1.0 * (attempt + 1)))
        except ConnectorError as exc:
            raise SyncAborted(f"{what}: {exc}") from None
    raise AssertionError("unreachable")


class Applier:
    def __init__(self, db, key: str, connector: Connector, database_id: str, source: str, progress=None) -> None:
        self.db = db
        self.key = key
        self.connector = connector
        self.database_id = database_id
        self.source = source
        self.fields = connector.capabilities.fields
        self.progress = progress or (lambda n: None)
        self.report = PassReport()
        self.label = ""  # the plan's category label (T3), for the copies read at write time
        self._new_links: list = []  # links of the copies created in the current transaction, written at its end

    def apply(self, plan: Plan) -> PassReport:
        self.label = plan.label
        if plan.label and any(a.kind in (CREATE, SYNC) for a in plan.actions):
            with self.db.transaction() as tx:  # before any copy carries it (T3: import takes it off again)
                TargetState.remember_label(tx.session, self.key, plan.label)
        by_kind: dict[str, list[Action]] = {}
        for action in plan.actions:
            by_kind.setdefault(action.kind, []).append(action)
        for kind in (ADOPT, MOVE, REFRESH, DROP, TRASH):
            self._database_only(by_kind.get(kind, []))
        creates = self._seeded(by_kind.get(CREATE, []))
        self._batched(creates, self.connector.create, self._created, "creating copies", read=True)
        copies = [a for a in by_kind.get(SYNC, []) if a.copy is not None]
        self._database_only([a for a in by_kind.get(SYNC, []) if a.copy is None])
        self._batched(copies, self.connector.update, self._synced, "updating copies")
        self._batched(by_kind.get(DELETE, []), self.connector.delete, self._deleted, "deleting copies")
        return self.report

    # -- steps ------------------------------------------------------------------

    def _database_only(self, actions: list[Action]) -> None:
        for action in actions:
            with self.db.transaction() as tx:
                state = TargetState.get(tx.session, self.key)
                if action.kind == ADOPT:
                    state.put_link(action.record_id, action.ref, action.remote_hash, action.base)
                elif action.kind == MOVE:
                    state.relink(action.record_id, action.ref.remote_id)
                elif action.kind == REFRESH:
                    state.set_etag(action.record_id, action.ref.etag)
                elif action.kind == DROP:
                    state.drop_link(action.record_id)
                elif action.kind == TRASH:
                    tx.records.delete(action.record_id, reason="target", source=self.source, note="its copy was deleted in the target")
                    state.drop_link(action.record_id)
                elif self._write_record(tx, state, action):  # SYNC without a target write
                    state.put_link(action.record_id, action.ref, action.remote_hash, action.base)
            if action.kind not in (ADOPT, REFRESH):
                self.report.count(action.kind)
            self.progress(1)

    def _batched(self, actions: list[Action], call, on_result, what: str, read: bool = False) -> None:
        """Target writes a batch at a time; with `read`, the copies' content is read per batch (CREATE)."""
        for batch in batches(actions, self.connector.capabilities.batch_size):
            if read:
                batch = self._read_copies(batch)
            requests = [self._request(a) for a in batch]
            results = retrying(lambda requests=requests: list(call(requests)), f"target: {what}")
            self._new_links = []  # none left from a chunk whose transaction failed
            with self.db.transaction() as tx:
                state = TargetState.get(tx.session, self.key)
                for action, result in zip(batch, results, strict=True):
                    on_result(tx, state, action, result)
                self._put_new_links(state)
            if read:
                _forget_copies(batch)
            self.progress(len(batch))

    def _read_copies(self, actions: list[Action]) -> list[Action]:
        """Give CREATE actions their content from the records as they are now; those still there.

        The plan keeps no contact for a copy to create (a first pass of thousands
        would hold them all): it is read here, a batch at a time. A record purged
        since the plan needs no copy.
        """
        with self.db.transaction(readonly=True) as tx:
            records = tx.records.get_many(a.record_id for a in actions)
        ready = []
        for action in actions:
            record = records.get(action.record_id)
            if record is not None:
                action.record_version, action.base = record.version, record.contact
                action.copy = to_copy(record.contact, self.label)
                ready.append(action)
        return ready

    def _seeded(self, actions: list[Action]) -> list[Action]:
        """Create the copies in one go where the target can (`seed`); the actions still to create."""
        seed = getattr(self.connector, "seed", None)
        if seed is None or not actions:
            return actions
        sent: list[Action] = []
        results = retrying(lambda: seed(self._seed_requests(actions, sent)), "target: creating copies")
        if results is None:
            return actions
        written = {a.record_id: a.record_version for a in sent}
        for batch in batches(list(zip(sent, results, strict=True)), self.connector.capabilities.batch_size):
            # The content is read again to link each copy: the one written, unless the record changed since.
            ready = {a.record_id for a in self._read_copies([a for a, _ in batch])}
            with self.db.transaction() as tx:
                state = TargetState.get(tx.session, self.key)
                for action, result in batch:
                    if action.record_id not in ready:
                        continue  # purged since: its copy goes on the next pass
                    if result.ok and action.record_version != written[action.record_id]:
                        # Its copy holds the version written; the next pass adopts it and merges (S12).
                        self._problem(action, "the record changed while its copy was made; it will be merged on the next pass", None)
                        continue
                    self._created(tx, state, action, result)
                self._put_new_links(state)
            _forget_copies([a for a, _ in batch])
            self.progress(len(batch))
        return []

    def _seed_requests(self, actions: list[Action], sent: list[Action]):
        """The create requests, their content read a batch at a time and let go once handed over."""
        sent.clear()  # a throttled seed is asked again from the start
        for batch in batches(actions, SEED_READ_CHUNK):
            for action in self._read_copies(batch):
                sent.append(action)
                yield self._request(action)
            _forget_copies(batch)

    def _request(self, action: Action) -> WriteRequest:
        marker = Marker(self.database_id, action.record_id)
        ref = action.ref
        return WriteRequest(
            contact=action.copy, marker=marker, remote_id=ref.remote_id if ref else "", etag=ref.etag if ref else ""
        )

    def _created(self, tx, state: TargetState, action: Action, result: Result) -> None:
        if not result.ok:
            self._failed(action, "could not create its copy", result.error)
            return
        base = action.base.to_dict()
        # The copy is the record itself when no label is added: its hash comes from the same dict.
        same = action.copy is action.base
        self._new_links.append((action.record_id, result.ref, copy_hash(action.copy, self.fields, base if same else None), base))
        self.report.count(CREATE)

    def _put_new_links(self, state: TargetState) -> None:
        """The links of a chunk's created copies, in one statement, in the chunk's transaction."""
        links, self._new_links = self._new_links, []
        state.put_links(links)

    def _synced(self, tx, state: TargetState, action: Action, result: Result) -> None:
        if isinstance(result.error, NotFound):
            # S5 in the same pass: the copy was deleted in the target after the plan read it
            # (CardDAV: a 412 on the PUT, then a 404). What the pass read of it stays in the record.
            self._write_record(tx, state, action)
            tx.records.delete(action.record_id, reason="target", source=self.source, note="its copy was deleted in the target")
            state.drop_link(action.record_id)
            self.report.count(TRASH)
            return
        if not result.ok:
            if isinstance(result.error, WrongEtag):
                self._failed(action, "its copy changed during the pass; it will be merged on the next pass", None)
            else:
                self._failed(action, "could not update its copy", result.error)
            return
        if self._write_record(tx, state, action):
            state.put_link(action.record_id, result.ref, copy_hash(action.copy, self.fields), action.base)
            self.report.count(SYNC)

    def _deleted(self, tx, state: TargetState, action: Action, result: Result) -> None:
        if not result.ok and not isinstance(result.error, NotFound):
            self._failed(action, "could not delete its copy", result.error)
            return
        self._write_record(tx, state, action)  # edits to the copy are kept even if the record moved on
        if action.orphan_edit is not None:
            # Its record was merged into another (I3) and the copy was edited since the last pass (before
            # or after the merge): nothing is lost, the edited version goes into the merged record's
            # history, and the user is told.
            tx.records.log_conflict(
                action.record_id, action.orphan_edit, source=self.source,
                note=f"the copy of merged record {action.record_id[:8]} was edited in the target since the last pass; that version is kept here",
            )  # fmt: skip
            self._problem(action, "its copy was edited since the last pass and its record was merged into another; the edit is kept in the merged record's history", None)
        state.drop_link(action.record_id)
        self.report.count(DELETE)

    def _write_record(self, tx, state: TargetState, action: Action) -> bool:
        """The record change of a step, its conflicts noted in history and in the sync state (S10).

        The merge was made from the record as the plan read it. If someone changed
        the record since, writing the merge would undo that change: the step is
        left out (False), its link untouched, and the next pass merges again from
        the same base, now with the newer record.
        """
        if action.record is None and not action.conflicts:
            return True
        tx.lock()  # PostgreSQL: no other writer between this check and the write
        current = tx.records.get(action.record_id)
        # A record merged into another since the plan (I3) is found under the other's id: not this step's record.
        if current.id != action.record_id or current.version != action.record_version:
            self._problem(action, "the record changed during the pass; it will be merged on the next pass", None)
            return False
        for conflict in action.conflicts:
            state.add_conflict(action.record_id, conflict.field, conflict.local, conflict.remote, conflict.winner)
            self.report.conflicts.append(f"{action.name}: {conflict.field} changed on both sides; the {conflict.winner} value was kept")
        if action.conflicts:
            lost_by_target = [c.field for c in action.conflicts if c.winner == "database"]
            if lost_by_target:
                tx.records.log_conflict(
                    action.record_id,
                    _losing_remote(action),
                    source=self.source,
                    note="sync conflict: the target's " + ", ".join(lost_by_target) + " lost; its version is kept here",
                )
        if action.record is not None:
            lost_by_database = [c.field for c in action.conflicts if c.winner == "target"]
            note = ("sync conflict: the database's " + ", ".join(lost_by_database) + " lost") if lost_by_database else ""
            tx.records.update(action.record_id, action.record, source=self.source, note=note)
        return True

    def _problem(self, action: Action, what: str, error: ConnectorError | None) -> None:
        detail = f": {error}" if error else ""
        self.report.problems.append(f"{action.name} ({action.record_id[:8]}): {what}{detail}")

    def _failed(self, action: Action, what: str, error: ConnectorError | None) -> None:
        """A target write that did not happen: a problem line, and counted for the pass's outcome (U4)."""
        self._problem(action, what, error)
        self.report.failures.append(Failure(f"the copy of {action.name!r}", str(error) if error else what, self.report.problems[-1]))


def _forget_copies(actions: list[Action]) -> None:
    """Let CREATE actions' content go once written (it is read from the record again when needed)."""
    for action in actions:
        action.copy = action.base = None


def _losing_remote(action: Action) -> Contact:
    """The merged contact with the copy's values in the fields where the copy lost: the version that lost."""
    lost = {c.field: c.remote for c in action.conflicts if c.winner == "database"}
    return Contact.from_dict({**action.base.to_dict(), **lost})
