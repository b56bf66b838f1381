"""Records: storing contacts faithfully, finding them by id prefix, listing and filtering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from store_helpers import contact, rich_contact

from contacthub.errors import NotFoundError
from contacthub.store.schema import RecordCategory, RecordRow


def test_record_keeps_every_field_of_its_contact(db):
    original = rich_contact()
    with db.transaction() as tx:
        added = tx.records.add(original, source="import")
    with db.transaction() as tx:
        got = tx.records.get(added.id)
    assert got.contact == original
    assert got.contact.photo.data == bytes(range(256))
    assert (got.type.name, got.version, got.is_deleted, got.deleted_reason) == ("business-contact", 1, False, "")


def test_record_columns_mirror_the_contact(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact("Ann Example", categories=["VIP", "vip ", "Kunden", ""]))
    with db.transaction() as tx:
        row = tx.session.get(RecordRow, rec.id)
        cats = tx.session.execute(
            select(RecordCategory.category, RecordCategory.category_key).where(RecordCategory.record_id == rec.id)
        ).all()
        assert row.display_name == "Ann Example"
        # duplicates (ignoring case and spaces) and empty categories are indexed once / not at all
        assert sorted(cats) == [("Kunden", "kunden"), ("VIP", "vip")]
        tx.records.update(rec.id, rec.contact.copy(display_name="", categories=["Partner"]))
    with db.transaction() as tx:
        row = tx.session.get(RecordRow, rec.id)
        assert row.display_name == "Ann Example"  # best_name() falls back to the structured name
        assert tx.session.scalars(select(RecordCategory.category)).all() == ["Partner"]


def test_timestamps_are_utc_and_aware(db):
    before = datetime.now(UTC)
    with db.transaction() as tx:
        rec = tx.records.add(contact())
    with db.transaction() as tx:
        tx.records.delete(rec.id)
    with db.transaction() as tx:
        got = tx.records.get(rec.id)
    after = datetime.now(UTC)
    for stamp in (got.created_at, got.updated_at, got.deleted_at):
        assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= stamp <= after + timedelta(seconds=1)
    assert got.created_at <= got.updated_at == got.deleted_at


def test_get_by_full_id_or_unique_prefix(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
    with db.transaction() as tx:
        assert tx.records.get(rec.id).id == rec.id
        assert tx.records.get(rec.id[:4]).id == rec.id
        assert tx.records.get(rec.id[:8].upper()).id == rec.id
        assert tx.records.get(f" {rec.id} ").id == rec.id


def _add_with_ids(tx, monkeypatch, ids):
    # chosen ids, to make prefixes collide on purpose
    chosen = iter(ids)
    monkeypatch.setattr("contacthub.store.records.new_id", lambda: next(chosen))
    for record_id in ids:
        tx.records.add(contact(f"P {record_id[:4]}"))


def test_ambiguous_prefix_is_one_clear_line(db, monkeypatch):
    with db.transaction() as tx:
        _add_with_ids(
            tx, monkeypatch, ["abcd1111-0000-4000-8000-000000000000", "abcd2222-0000-4000-8000-000000000000"]
        )
    with db.transaction() as tx:
        with pytest.raises(NotFoundError) as err:
            tx.records.get("abcd")
        message = str(err.value)
        assert "ambiguous" in message and "abcd1111" in message and "abcd2222" in message and "\n" not in message
        assert tx.records.get("abcd2").id.startswith("abcd2222")


def test_unknown_or_too_short_id_is_not_found(db, monkeypatch):
    with db.transaction() as tx:
        _add_with_ids(tx, monkeypatch, ["abcd1111-0000-4000-8000-000000000000"])
    cases = [("abc", "too short"), ("ffff", "no record with id 'ffff'"), ("abcd%", "no record"), ("abcd_", "no record"), ("", "too short")]
    with db.transaction() as tx:
        for query, expected in cases:
            with pytest.raises(NotFoundError, match=expected):
                tx.records.get(query)


def test_list_is_sorted_by_name_and_filters_by_category_ignoring_case(db):
    with db.transaction() as tx:
        tx.types.add("Supplier", "account")
        tx.records.add(contact("carl Cruz", categories=["Kunden"]))
        tx.records.add(contact("Ann Able", categories=["VIP", "Kunden"]))
        tx.records.add(contact("Bea Bond", categories=["ÜBERSEE"]), type_name="Supplier")
        gone = tx.records.add(contact("Dan Gone", categories=["VIP"]))
        tx.records.delete(gone.id)

    def names(records):
        return [r.contact.display_name for r in records]

    with db.transaction() as tx:
        assert names(tx.records.list()) == ["Ann Able", "Bea Bond", "carl Cruz"]
        assert names(tx.records.list(category="kunden")) == ["Ann Able", "carl Cruz"]
        assert names(tx.records.list(category="vip")) == ["Ann Able"]
        assert names(tx.records.list(category="übersee")) == ["Bea Bond"]  # not just ASCII case
        assert names(tx.records.list(category="Nope")) == []
        assert names(tx.records.list(type_name="supplier")) == ["Bea Bond"]
        assert names(tx.records.list(type_name="business-contact", category="KUNDEN")) == ["Ann Able", "carl Cruz"]
        assert names(tx.records.list(deleted=True)) == ["Dan Gone"]
        assert names(tx.records.list(deleted=True, category="VIP")) == ["Dan Gone"]
        assert len(tx.records.list(deleted=None)) == 4


def test_transaction_rolls_back_on_error(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as tx:
            tx.records.add(contact())
            tx.types.add("Lead", "business-contact")
            raise RuntimeError("boom")
    with db.transaction() as tx:
        assert tx.records.list(deleted=None) == []
        assert len(tx.types.list()) == 2
        assert tx.records.max_seq() == 0


def test_changes_need_a_source_and_deletes_a_known_reason(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
        with pytest.raises(ValueError):
            tx.records.add(contact(), source="")
        with pytest.raises(ValueError):
            tx.records.delete(rec.id, reason="because")
        assert not tx.records.get(rec.id).is_deleted


def test_d4_add_many_writes_what_add_writes_row_for_row(db):
    """Issue 15: the bulk path of a big import leaves the same record, categories, search text and history as `add`."""
    from contacthub.store.records import new_id

    one, many = rich_contact(), contact("Bo Bulk", categories=["Bulky", "bulky ", ""])
    with db.transaction() as tx:
        single = tx.records.add(one, source="import:a.vcf")
        ids = [new_id(), new_id()]
        assert tx.records.add_many([(ids[0], one), (ids[1], many)], source="import:a.vcf") == 2
    with db.transaction() as tx:
        bulk = tx.records.get(ids[0])
        assert (bulk.contact, bulk.type, bulk.version) == (single.contact, single.type, 1)
        assert [r.seq for r in tx.session.scalars(select(RecordRow).order_by(RecordRow.seq))] == [1, 2, 3]
        assert [r.id for r in tx.records.changed_since(1)] == ids
        assert [r.id for r in tx.records.list(category="BULKY")] == [ids[1]]
        assert [r.id for r in tx.records.list(text="bo bulk")] == [ids[1]]
        for record_id in (single.id, *ids):
            (entry,) = tx.records.history(record_id)
            assert (entry.action, entry.version, entry.source, entry.contact) == ("create", 1, "import:a.vcf", None)


def test_s3_a_record_stored_without_uid_reads_with_its_id_as_uid_everywhere(db):
    # Adopted Graph/EWS contacts have no UID; every reader gives the same stable one,
    # and saving it back unchanged is not an edit.
    with db.transaction() as tx:
        rec = tx.records.add(contact("Ann Example").copy(uid=""))
    assert rec.contact.uid == rec.id
    with db.transaction() as tx:
        assert tx.records.get(rec.id).contact.uid == rec.id
        assert [c.uid for rid, _gone, c in tx.records.contents() if rid == rec.id] == [rec.id]
        same = tx.records.update(rec.id, tx.records.get(rec.id).contact)
        assert same.version == 1
        assert tx.session.get(RecordRow, rec.id).data["uid"] == ""
    with db.reading() as read:
        from contacthub.store.reading import Reader

        assert Reader(read).record(rec.id).contact.uid == rec.id
