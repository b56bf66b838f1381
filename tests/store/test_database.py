"""Opening databases: creation, migration, URLs, errors, independence of databases (D2)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, insert, select, text
from store_helpers import contact, database_at

from contacthub.errors import DatabaseError
from contacthub.store import open_database
from contacthub.store.migrate import current_revision, head_revision, version_table
from contacthub.store.schema import Base, HistoryRow, RecordRow, RecordTypeRow, SyncLinkRow
from contacthub.store.search import is_index_object


def test_new_database_is_at_head_and_matches_the_models(db):
    with db.engine.connect() as conn:
        assert current_revision(conn) == head_revision() == "0007"
        # the migrations and schema.py describe the same tables
        # (the search index's FTS5 tables / trigram index are made by hand in 0006, not models)
        opts = {"compare_type": True, "include_name": lambda name, _type, _parent: not is_index_object(name),
                "version_table": version_table(conn.dialect.name)}  # fmt: skip
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        assert diffs == []


def test_reopening_is_idempotent_and_keeps_id_and_builtins(db):
    with db.transaction() as tx:
        rec = tx.records.add(contact())
    first_id, url = db.id, db.engine.url
    db.dispose()
    for _ in range(2):
        again = open_database(url)
        try:
            assert again.id == first_id
            with again.transaction() as tx:
                assert tx.session.execute(select(func.count()).select_from(RecordTypeRow)).scalar_one() == 2
                assert tx.records.get(rec.id).contact == rec.contact
        finally:
            again.dispose()


def test_database_at_0001_with_data_is_upgraded_on_open(new_url):
    """A database an older contacthub left at revision 0001, with records in it, opens at head intact."""
    url = new_url()
    engine = database_at(url, "0001")
    with engine.begin() as conn:
        db_id = conn.execute(text("SELECT db_id FROM meta")).scalar_one()
        conn.execute(text("UPDATE meta SET seq = 1"))
        type_id = conn.execute(text("SELECT id FROM record_types WHERE name_key = 'business-contact'")).scalar_one()
        now = datetime.now(UTC)
        conn.execute(
            insert(RecordRow.__table__),
            [{"id": "01d00000-0000-4000-8000-000000000000", "type_id": type_id, "display_name": "Old Timer",
              "data": contact("Old Timer").to_dict(), "created_at": now, "updated_at": now, "version": 1, "seq": 1}],
        )
        conn.execute(
            insert(HistoryRow.__table__),
            [{"record_id": "01d00000-0000-4000-8000-000000000000", "version": 1, "changed_at": now,
              "action": "create", "source": "user", "data": None, "type_name": "business-contact", "note": ""}],
        )
    engine.dispose()

    db = open_database(url)
    try:
        assert db.id == db_id
        with db.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        with db.transaction() as tx:
            assert [t.name for t in tx.types.list()] == ["business-contact", "account"]
            rec = tx.records.get("01d0")
            assert rec.contact == contact("Old Timer").copy(uid=rec.id)  # stored without a UID: read with its id
            # 0002's history change: a conflict entry shares the version it lost to
            tx.records.log_conflict(rec.id, contact("Loser"), source="sync:x")
            updated = tx.records.update(rec.id, rec.contact.copy(note="new"))
            assert updated.version == 2 and tx.records.max_seq() == 2
            assert [(e.version, e.action) for e in tx.records.history(rec.id)] == [
                (1, "create"), (1, "conflict"), (2, "update")
            ]
    finally:
        db.dispose()


def test_t3_database_at_0002_with_sync_state_is_upgraded_to_remember_labels(new_url):
    """0003 adds the labels written to each target; a 0002 database with records and links keeps them all."""
    from contacthub.sync.state import TargetState

    url = new_url()
    engine = database_at(url, "0002")
    record_id = "02d00000-0000-4000-8000-000000000000"
    with engine.begin() as conn:
        conn.execute(text("UPDATE meta SET seq = 1"))
        type_id = conn.execute(text("SELECT id FROM record_types WHERE name_key = 'business-contact'")).scalar_one()
        now = datetime.now(UTC)
        conn.execute(
            insert(RecordRow.__table__),
            [{"id": record_id, "type_id": type_id, "display_name": "Synced Once", "data": contact("Synced Once").to_dict(),
              "created_at": now, "updated_at": now, "version": 1, "seq": 1}],
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO sync_targets (id, key, connector, created_at, seq, change_token, selection) "
                 "VALUES (1, 'vcf:/phone', 'vcf', :now, 1, 'tok-1', 'sel')"), {"now": now},
        )  # fmt: skip
        conn.execute(
            insert(SyncLinkRow.__table__),
            [{"target_id": 1, "record_id": record_id, "remote_id": "a.vcf", "etag": "e1", "remote_hash": "h1",
              "base": contact("Synced Once").to_dict(), "synced_at": now}],
        )  # fmt: skip
    engine.dispose()

    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        with db.transaction() as tx:
            state = TargetState.get(tx.session, "vcf:/phone")
            assert (state.row.seq, state.row.change_token) == (1, "tok-1")
            assert {r: link.remote_id for r, link in state.links().items()} == {record_id: "a.vcf"}
            assert TargetState.written_labels(tx.session, "vcf:/phone") == []
            TargetState.remember_label(tx.session, "vcf:/phone", "Business")
            TargetState.remember_label(tx.session, "vcf:/phone", "Business")
            state.forget()  # `sync stop`: the labels outlive the target's state
        with db.transaction() as tx:
            assert TargetState.written_labels(tx.session, "vcf:/phone") == ["Business"]
            assert tx.records.get(record_id).contact == contact("Synced Once").copy(uid=record_id)
    finally:
        db.dispose()


def test_a_database_from_a_newer_contacthub_is_refused_clearly(db):
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE {version_table(conn.dialect.name)} SET version_num = '9999'"))
    url = db.engine.url
    db.dispose()
    with pytest.raises(DatabaseError, match=r"schema \(9999\) is newer than this contacthub"):
        open_database(url)


def test_d2_two_databases_are_independent(new_url):
    one, two = open_database(new_url(own_database=True)), open_database(new_url(own_database=True))
    try:
        assert one.id != two.id and len(one.id) == 36
        with one.transaction() as tx:
            tx.types.add("Lead", "business-contact")
            a = tx.records.add(contact("Only In One"), type_name="Lead")
        with two.transaction() as tx:
            b = tx.records.add(contact("Only In Two"))
        with one.transaction() as tx:
            assert [r.id for r in tx.records.list()] == [a.id]
            assert tx.records.max_seq() == 1
        with two.transaction() as tx:
            assert [r.id for r in tx.records.list()] == [b.id]
            assert [t.name for t in tx.types.list()] == ["business-contact", "account"]
            with pytest.raises(Exception, match="no record"):
                tx.records.get(a.id)
    finally:
        one.dispose()
        two.dispose()


def test_url_display_hides_the_password():
    from contacthub.store.database import Database

    url = create_engine("postgresql+psycopg://bob:s3cret@db.example/x").url
    assert Database(create_engine("sqlite://"), url, "x").url_display == "postgresql+psycopg://bob:***@db.example/x"


@pytest.mark.postgres
def test_unreachable_server_is_one_line_without_the_password():
    with pytest.raises(DatabaseError) as err:
        open_database("postgresql+psycopg://u:secret@127.0.0.1:1/x")
    message = str(err.value)
    assert message.startswith("cannot open database postgresql+psycopg://u:***@127.0.0.1:1/x: ")
    assert "refused" in message.lower()
    assert "secret" not in message and "\n" not in message


@pytest.mark.postgres
def test_wrong_password_or_user_is_one_line_without_the_password(pg_server):
    with pytest.raises(DatabaseError) as err:
        open_database(f"postgresql+psycopg://nosuchuser_x:topsecret@127.0.0.1:5432/{pg_server.shared}")
    message = str(err.value)
    assert "nosuchuser_x" in message and "topsecret" not in message and "\n" not in message


@pytest.mark.parametrize(
    "url",
    ["not a url with secret@host", "nosuchdialect://u:secret@h/x", "postgresql+nosuchdriver://u:secret@h/x"],
)
def test_bad_urls_are_one_line_without_the_password(url):
    with pytest.raises(DatabaseError) as err:
        open_database(url)
    assert "secret" not in str(err.value) and "\n" not in str(err.value)


def test_sqlite_in_a_folder_that_cannot_be_made_is_a_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError) as err:
        open_database(f"sqlite:///{blocker}/sub/contacts.db")
    message = str(err.value)
    assert message.startswith(f"cannot open database sqlite:///{blocker}/sub/contacts.db: cannot create folder")
    assert "\n" not in message


def test_sqlite_file_that_is_not_a_database_is_a_clear_line(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError) as err:
        open_database(f"sqlite:///{bogus}")
    assert "not a database" in str(err.value) and "\n" not in str(err.value)


def test_sqlite_creates_parent_folders_and_uses_wal_and_foreign_keys(tmp_path):
    path = tmp_path / "deep" / "er" / "contacts.db"
    db = open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 1000
    finally:
        db.dispose()
    # the WAL mode is persistent in the file, seen by any other client too
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_reader_is_not_blocked_by_an_open_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    writer, reader = open_database(url), open_database(url)
    try:
        with writer.transaction() as tx:
            tx.records.add(contact("Committed"))
        with writer.transaction() as wtx:
            wtx.records.add(contact("Pending"))
            with reader.transaction(readonly=True) as rtx:
                assert [r.contact.display_name for r in rtx.records.list()] == ["Committed"]
    finally:
        writer.dispose()
        reader.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_database_that_does_not_exist_yet_is_created(new_url):
    url = new_url(create=False)
    db = open_database(url)
    try:
        with db.transaction() as tx:
            assert [t.name for t in tx.types.list()] == ["business-contact", "account"]
    finally:
        db.dispose()


def test_in_memory_sqlite_works_for_quick_use():
    db = open_database("sqlite://")
    try:
        with db.transaction() as tx:
            tx.records.add(contact())
            assert len(db.id) == 36  # no second transaction needed for the id
        with db.transaction() as tx:
            assert len(tx.records.list()) == 1
    finally:
        db.dispose()
