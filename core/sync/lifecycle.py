"""Starting and ending sync, switching databases, and taking target contacts in.

C1 stop, C2 change target, W1 switch database (keep / delete / import),
W3 purge what the target deleted (A1–A3, adopting a plain contact, is adopt.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contacthub.connector import Connector, Marker, NotFound, RemoteRef, WriteRequest
from contacthub.sync.apply import retrying
from contacthub.sync.batching import batches
from contacthub.sync.copies import copy_hash, from_copy, from_linked_copy, to_copy
from contacthub.sync.plan import fetch_all
from contacthub.sync.state import TargetState
from contacthub.sync.target import SyncSettings

SWITCH_MODES = ("keep", "delete", "import")


@dataclass
class Outcome:
    """What a lifecycle step did (or, in a dry run, would do)."""

    count: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """U4: 3 (partly done) when some copies could not be handled, else 0."""
        return 3 if self.problems else 0


def copies_of(connector: Connector, database_id: str) -> list[RemoteRef]:
    """Every copy in the target carrying this database's marker (linked or not)."""
    return [ref for ref in connector.list() if ref.marker is not None and ref.marker.database_id == database_id]


def remove_copies(db, connector: Connector, key: str, dry_run: bool = False) -> Outcome:
    """C1: remove exactly the copies this database made; plain contacts and the database stay."""
    refs = copies_of(connector, db.id)
    outcome = Outcome(count=len(refs))
    if dry_run:
        return outcome
    # Forget the links first: a copy removed by a stop that then fails (or is killed) must not
    # read as "deleted in the target" on the next pass (S5 would trash its record). A copy
    # that could not be removed keeps its marker and is adopted by the next pass (S12).
    _forget(db, key)
    for batch in batches(refs, connector.capabilities.batch_size):
        requests = [WriteRequest(remote_id=r.remote_id, etag=r.etag) for r in batch]
        for result in retrying(lambda requests=requests: list(connector.delete(requests)), "target: removing copies"):
            if not result.ok and not isinstance(result.error, NotFound):
                outcome.problems.append(f"{result.request.remote_id}: could not remove: {result.error}")
    outcome.count -= len(outcome.problems)
    return outcome


def _forget(db, key: str) -> None:
    with db.transaction() as tx:
        state = TargetState.get(tx.session, key)
        if state is not None:
            state.forget()


def import_copies(previous_db, db, connector: Connector, settings: SyncSettings, dry_run: bool = False) -> Outcome:
    """W1 import: the previous database's copies become business contacts here and stay, now synced from here."""
    refs = copies_of(connector, previous_db.id)
    outcome = Outcome(count=len(refs))
    if dry_run or not refs:
        return outcome
    key = settings.target.key
    # The copies become the current database's: the previous one's links to them must go, or
    # back on that database a pass would take them for its own (and trash its records when
    # they are gone). Its records stay as they are; its next pass starts afresh (W1).
    with previous_db.transaction(readonly=True) as tx:
        state = TargetState.get(tx.session, key)
        previous_links = {link.remote_id: link for link in state.links().values()} if state else {}
    _forget(previous_db, key)
    fields = connector.capabilities.fields
    items = fetch_all(connector, [r.remote_id for r in refs])
    for remote_id, item in items.items():
        link = previous_links.get(remote_id)
        if link is not None:  # it may still carry a label from before the label changed (T3)
            contact = from_linked_copy(item.contact, settings.category, link.base, link.remote_hash, fields)
        else:
            contact = from_copy(item.contact, settings.category, None)
        # Record and link first: a crash before the copy is re-marked leaves a linked copy, never a twin record.
        with db.transaction() as tx:
            state = TargetState.get_or_create(tx.session, key, settings.target.connector)
            record = tx.records.add(contact, source=f"sync:import from database {previous_db.id[:8]}")
            # No etag yet: until the copy carries the new marker, every pass fetches it and re-marks it.
            state.put_link(record.id, RemoteRef(remote_id, ""), copy_hash(item.contact, fields), contact)
        request = WriteRequest(
            contact=to_copy(contact, settings.category),
            marker=Marker(db.id, record.id),
            remote_id=remote_id,
            etag=item.ref.etag,
        )
        [result] = retrying(lambda request=request: list(connector.update([request])), "target: re-marking imported copies")
        if not result.ok:
            outcome.problems.append(f"{remote_id}: imported, but its marker could not be changed: {result.error}")
            continue
        with db.transaction() as tx:
            TargetState.get(tx.session, key).set_etag(record.id, result.ref.etag)
    return outcome


def purge_deleted_by_target(db, dry_run: bool = False) -> int:
    """W3: records that went to Deleted Items because their copy was deleted in the target are purged."""
    with db.transaction() as tx:
        doomed = [r for r in tx.records.list(deleted=True) if r.deleted_reason == "target"]
        for record in doomed:
            tx.records.purge(record.id)
        if dry_run:
            tx.session.rollback()
    return len(doomed)
