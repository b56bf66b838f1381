"""D3: delete moves a record to Deleted Items; it can be restored or purged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from store_helpers import contact

from contacthub.errors import ContactHubError, NotFoundError
from contacthub.store.schema import HistoryRow, RecordCategory, RecordRow


def test_d3_delete_moves_record_to_deleted_items_with_reason(db):
    with db.transaction() as tx:
        keep = tx.records.add(contact("Kim Keep"))
        by_user = tx.records.add(contact("Una User"))
        by_target = tx.records.add(contact("Tom Target"))
    with db.transaction() as tx:
        tx.records.delete(by_user.id)
        tx.records.delete(by_target.id, reason="target", source="sync:vcf:~/Phone")
    with db.transaction() as tx:
        assert [r.id for r in tx.records.list()] == [keep.id]
        deleted = {r.id: r for r in tx.records.list(deleted=True)}
        assert set(deleted) == {by_user.id, by_target.id}
        assert deleted[by_user.id].deleted_reason == "user"
        assert deleted[by_target.id].deleted_reason == "target"
        assert all(r.is_deleted and r.deleted_at is not None for r in deleted.values())
        # still there, with its content, for whoever asks by id
        assert tx.records.get(by_user.id).contact.display_name == "Una User"
        with pytest.raises(NotFoundError, match="Deleted Items"):
            tx.records.get(by_user.id, include_deleted=False)


def test_d3_restore_brings_the_record_back_unchanged(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact("Rita Restore", categories=["VIP"]))
        tx.records.delete(rec.id, reason="target")
    with db.transaction() as tx:
        restored = tx.records.restore(rec.id)
    assert not restored.is_deleted and restored.deleted_reason == ""
    assert restored.contact == rec.contact
    with db.transaction() as tx:
        assert [r.id for r in tx.records.list(category="vip")] == [rec.id]
        assert tx.records.list(deleted=True) == []


def test_d3_delete_and_restore_twice_change_nothing_more(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
        first = tx.records.delete(rec.id)
        again = tx.records.delete(rec.id, reason="target")
        assert (again.version, again.deleted_reason, again.deleted_at) == (first.version, "user", first.deleted_at)
        back = tx.records.restore(rec.id)
        assert tx.records.restore(rec.id).version == back.version == 3
        assert len(tx.records.history(rec.id)) == 3


def test_d3_purge_removes_record_categories_and_history_for_good(db):
    with db.transaction() as tx:
        gone = tx.records.add(contact("Gus Gone", categories=["VIP"]))
        other = tx.records.add(contact("Olga Other", categories=["VIP"]))
        tx.records.update(gone.id, gone.contact.copy(note="edited"))
        tx.records.update(other.id, other.contact.copy(note="edited"))
        tx.records.delete(gone.id)
    with db.transaction() as tx:
        tx.records.purge(gone.id[:8])
    with db.transaction() as tx:
        with pytest.raises(NotFoundError):
            tx.records.get(gone.id)
        assert tx.records.list(deleted=None)[0].id == other.id
        count = tx.session.execute(select(func.count()).select_from(HistoryRow)).scalar_one()
        assert count == 2  # only the other record's create + update are left
        assert tx.session.scalars(select(HistoryRow.record_id).distinct()).all() == [other.id]
        assert tx.session.scalars(select(RecordCategory.record_id)).all() == [other.id]
        assert tx.session.scalars(select(RecordRow.id)).all() == [other.id]


def test_d3_only_records_in_deleted_items_can_be_purged(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
    with pytest.raises(ContactHubError, match="not in Deleted Items"):
        with db.transaction() as tx:
            tx.records.purge(rec.id)
    with db.transaction() as tx:
        assert tx.records.get(rec.id).version == 1
