"""Merged ids and imported cards (0005: record_aliases, record_fingerprints): upgrade from 0002 with data, and use on SQLite and PostgreSQL (I1, I3)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, text
from store_helpers import contact, database_at

from contacthub.record_merge import merge_records
from contacthub.store import open_database
from contacthub.store.migrate import current_revision, head_revision
from contacthub.store.schema import HistoryRow, RecordRow

OLD_A = "0a000000-0000-4000-8000-000000000000"
OLD_B = "0b000000-0000-4000-8000-000000000000"


def _database_at_0002_with_two_records(url: str) -> None:
    engine = database_at(url, "0002")
    with engine.begin() as conn:
        conn.execute(text("UPDATE meta SET seq = 2"))
        type_id = conn.execute(text("SELECT id FROM record_types WHERE name_key = 'business-contact'")).scalar_one()
        now = datetime.now(UTC)
        for seq, (rid, name) in enumerate(((OLD_A, "Ann Archer"), (OLD_B, "Ann Archer")), 1):
            conn.execute(
                insert(RecordRow.__table__),
                [{"id": rid, "type_id": type_id, "display_name": name, "data": contact(name).to_dict(),
                  "created_at": now, "updated_at": now, "version": 1, "seq": seq}],
            )  # fmt: skip
            conn.execute(
                insert(HistoryRow.__table__),
                [{"record_id": rid, "version": 1, "changed_at": now, "action": "create", "source": "user",
                  "data": None, "type_name": "business-contact", "note": ""}],
            )  # fmt: skip
    engine.dispose()


def test_i3_a_database_at_0002_with_records_upgrades_and_can_merge_and_redirect(new_url):
    url = new_url()
    _database_at_0002_with_two_records(url)
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            assert current_revision(conn) == head_revision() == "0007"
        with db.transaction() as tx:
            assert tx.records.get(OLD_A).contact == contact("Ann Archer").copy(uid=OLD_A)  # stored without a UID
            merge_records(tx, OLD_A, OLD_B)
        with db.transaction() as tx:
            assert tx.records.get(OLD_B).id == OLD_A  # the new table redirects B's id
            assert [r.id for r in tx.records.list()] == [OLD_A]
            assert [e.action for e in tx.records.history(OLD_A)] == ["create", "create", "merge"]
            tx.records.delete(OLD_A)
            tx.records.purge(OLD_A)  # the alias goes with the record it points at (ON DELETE CASCADE)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM record_aliases")).scalar_one() == 0
    finally:
        db.dispose()


def test_i1_fingerprints_and_aliases_work_on_each_backend(db, tmp_path):
    """The import's memory of cards (record_fingerprints) on SQLite and PostgreSQL: a second import adds nothing."""
    from contacthub.transfer import import_path

    export = tmp_path / "android.vcf"
    export.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Archer\r\nN:Archer;Ann;;;\r\nTEL;TYPE=CELL:+47 912 34 567\r\nEND:VCARD\r\n"
                       b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Baker\r\nN:Baker;Bob;;;\r\nEND:VCARD\r\n")  # fmt: skip
    with db.transaction() as tx:
        assert import_path(tx, export, "business-contact").added == 2
        ann = next(r for r in tx.records.list() if r.contact.best_name() == "Ann Archer")
        tx.records.update(ann.id, ann.contact.copy(title="Buyer"))  # edited since: still the same card
    with db.transaction() as tx:
        again = import_path(tx, export, "business-contact")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM record_fingerprints")).scalar_one() == 2
