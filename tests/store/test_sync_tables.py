"""The store side of sync state: conflict entries in history (S10), links that outlive a purge (S12)."""

from __future__ import annotations

from sqlalchemy import func, select
from store_helpers import contact

from contacthub.store.schema import SyncConflictRow, SyncLinkRow, SyncTargetRow, utcnow


def test_s10_a_losing_version_is_kept_in_history_without_changing_the_record(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact("Ann Example", title="office"))
        seq = tx.records.max_seq()
    with db.transaction() as tx:
        tx.records.log_conflict(rec.id, rec.contact.copy(title="phone"), source="sync:vcf:x", note="title lost")
    with db.transaction() as tx:
        current = tx.records.get(rec.id)
        entries = tx.records.history(rec.id)
        assert (current.version, current.contact.title) == (1, "office")
        assert tx.records.max_seq() == seq  # not a change of the record: nothing to sync
        assert [(e.version, e.action, e.source, e.note) for e in entries] == [
            (1, "create", "user", ""),
            (1, "conflict", "sync:vcf:x", "title lost"),
        ]
        assert entries[1].contact.title == "phone"


def _target(tx) -> SyncTargetRow:
    row = SyncTargetRow(key="vcf:/tmp/x", connector="vcf", created_at=utcnow(), seq=0, change_token="", selection="")
    tx.session.add(row)
    tx.session.flush()
    return row


def test_s12_links_outlive_a_purged_record_and_go_with_their_target(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
        target = _target(tx)
        tx.session.add(SyncLinkRow(target_id=target.id, record_id=rec.id, remote_id="r1", etag="e1",
                                   remote_hash="h", base=rec.contact.to_dict(), synced_at=utcnow()))
        tx.session.add(SyncConflictRow(target_id=target.id, record_id=rec.id, at=utcnow(), field="title",
                                       local="a", remote={"x": [1]}, winner="database"))
        tx.records.delete(rec.id, reason="target")
        tx.records.purge(rec.id)
    with db.transaction() as tx:
        # the engine finds the copy of a purged record through its link
        assert tx.session.scalars(select(SyncLinkRow.record_id)).all() == [rec.id]
        assert tx.session.scalars(select(SyncConflictRow.remote)).all() == [{"x": [1]}]
        tx.session.delete(tx.session.scalars(select(SyncTargetRow)).one())
    with db.transaction() as tx:
        for table in (SyncLinkRow, SyncConflictRow):
            assert tx.session.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_rollback_inside_a_transaction_block_keeps_nothing(db):
    """The engine's dry runs roll back inside `db.transaction()`; leaving the block must then not fail."""
    with db.transaction() as tx:
        tx.records.add(contact())
        tx.session.rollback()
    with db.transaction() as tx:
        assert tx.records.list(deleted=None) == [] and tx.records.max_seq() == 0
