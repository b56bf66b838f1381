"""PostgreSQL for a team (D2, issue 14): the postgresql extra named when psycopg is missing;
contacthub's tables in a schema of their own with their own version table; databases an
earlier version made in `public` moved into it with their data."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import create_engine, text
from store_helpers import contact, database_at, old_record

from contacthub.config import Paths, load_config
from contacthub.errors import DatabaseError
from contacthub.store import open_database
from contacthub.store.migrate import current_revision, head_revision


def _tables(engine, schema: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})
        return {r[0] for r in rows}


def test_d2_missing_postgresql_driver_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now raises ImportError
    with pytest.raises(DatabaseError) as caught:
        open_database("postgresql+psycopg://alice@127.0.0.1:1/contacts")
    message = str(caught.value)
    assert "pip install 'contacthub[postgresql]'" in message and "\n" not in message


def test_d2_db_create_without_psycopg_says_which_extra_in_one_line(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = run("db", "create", "team", "--url", "postgresql+psycopg://alice@127.0.0.1:1/contacts", ok=False)
    assert result.exit_code == 1
    assert "pip install 'contacthub[postgresql]'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "team" not in [d["name"] for d in run.json("db", "list")]  # nothing changed


def test_d2_schema_setting_is_read_and_written_with_the_database_entry():
    paths = Paths.discover(None)
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[databases.team]\nurl = "postgresql+psycopg://alice@db.example/contacts"\nschema = "crm"\n')
    config = load_config(paths)
    assert config.database("team").schema == "crm"
    config.save()
    assert 'schema = "crm"' in paths.config_file.read_text()


@pytest.mark.postgres
def test_d2_postgresql_tables_go_into_their_own_schema_beside_another_apps(pg_server):
    url = pg_server.url(pg_server.database())
    admin = create_engine(url)
    with admin.begin() as conn:  # another app in the same database, with Alembic's default version table
        conn.execute(text("CREATE TABLE public.alembic_version (version_num varchar(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO public.alembic_version VALUES ('a1b2c3')"))
    db = open_database(url)
    try:
        with db.transaction() as tx:
            tx.records.add(contact("Team Member"))
        assert {"records", "meta", "record_search", "contacthub_alembic_version"} <= _tables(admin, "contacthub")
        assert _tables(admin, "public") == {"alembic_version"}
        with admin.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar() == "a1b2c3"
            assert conn.execute(text("SELECT count(*) FROM contacthub.records")).scalar() == 1
    finally:
        db.dispose()
    crm = open_database(url, schema="crm")  # the config's `schema` setting: a second, separate set of tables
    try:
        with crm.transaction() as tx:
            assert tx.records.list() == []
        assert "records" in _tables(admin, "crm")
    finally:
        crm.dispose()
        admin.dispose()


@pytest.mark.postgres
def test_d2_a_bad_schema_name_is_refused_in_one_line(pg_server):
    with pytest.raises(DatabaseError, match="schema 'Bad; DROP' is not a plain PostgreSQL name"):
        open_database(pg_server.url(pg_server.database(create=False)), schema="Bad; DROP")


@pytest.mark.postgres
def test_d2_database_made_in_public_at_0002_moves_into_the_schema_with_its_data(pg_server):
    """An earlier contacthub left its tables in `public` with a generic `alembic_version`."""
    url = pg_server.url(pg_server.database())
    engine = database_at(url, "0002", version_table="alembic_version")  # in public: no search_path in the URL
    record_id = "02d00000-0000-4000-8000-000000000000"
    with engine.begin() as conn:
        db_id = conn.execute(text("SELECT db_id FROM meta")).scalar_one()
        old_record(conn, record_id, contact("Ólafur Old"))
        conn.execute(
            text("INSERT INTO sync_targets (key, connector, created_at, seq, change_token, selection) "
                 "VALUES ('vcf:/p', 'vcf', now(), 1, '', '')"),
        )  # fmt: skip
    assert "records" in _tables(engine, "public") and "alembic_version" in _tables(engine, "public")

    db = open_database(url)
    try:
        assert db.id == db_id
        assert _tables(engine, "public") == set()  # nothing of ours left, not even alembic_version
        assert {"records", "sync_targets", "record_search", "contacthub_alembic_version"} <= _tables(engine, "contacthub")
        with db.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        with db.transaction() as tx:
            assert tx.records.get(record_id).contact == contact("Ólafur Old").copy(uid=record_id)
            assert [r.id for r in tx.records.list(text="olafur")] == [record_id]
            new = tx.records.add(contact("New Comer"))  # sequences moved along: ids and seq go on
            assert tx.records.max_seq() == 2 and new.version == 1
            assert tx.session.execute(text("SELECT id FROM sync_targets")).scalar_one() == 1
    finally:
        db.dispose()
    again = open_database(url)  # reopening finds the new layout
    again.dispose()
    engine.dispose()


@pytest.mark.postgres
def test_d2_db_create_schema_puts_the_tables_there_and_keeps_the_setting(pg_server, run):
    url = pg_server.url(pg_server.database())
    run("db", "create", "team", "--url", url, "--schema", "crm", "--use")
    run("contact", "add", "--name", "Tove Team")
    assert run.json("contact", "list", "--search", "tove")[0]["contact"]["display_name"] == "Tove Team"
    engine = create_engine(url)
    try:
        assert {"records", "contacthub_alembic_version"} <= _tables(engine, "crm")
        assert "records" not in _tables(engine, "public") and "contacthub" not in _schemas(engine)
    finally:
        engine.dispose()


def test_d2_db_create_schema_is_refused_for_sqlite(run):
    result = run("db", "create", "local", "--schema", "crm", ok=False)
    assert result.exit_code == 2 and "PostgreSQL databases only" in result.output


def _schemas(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT nspname FROM pg_namespace"))}


@pytest.mark.postgres
def test_d2_database_made_in_a_url_named_schema_at_0002_keeps_working(pg_url):
    """An earlier contacthub reached through `options=-csearch_path=X` left its generic
    `alembic_version` in X: it is renamed there, nothing moves."""
    engine = database_at(pg_url, "0002", version_table="alembic_version")
    record_id = "02e00000-0000-4000-8000-000000000000"
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        old_record(conn, record_id, contact("Sigrún Schema"))
    db = open_database(pg_url)
    try:
        assert {"records", "contacthub_alembic_version"} <= _tables(engine, schema)
        assert "alembic_version" not in _tables(engine, schema)
        with db.transaction() as tx:
            assert [r.id for r in tx.records.list(text="sigrun")] == [record_id]
    finally:
        db.dispose()
        engine.dispose()


@pytest.mark.postgres
def test_u1_without_pg_trgm_rights_search_still_works_by_scanning(pg_server):
    """A team user who may not CREATE EXTENSION (nor CREATE SCHEMA: a DBA made it for them)."""
    import uuid

    name = pg_server.database()
    role = f"ch_limited_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server.url(name), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"REVOKE CREATE ON DATABASE {name} FROM PUBLIC")
        conn.exec_driver_sql(f"CREATE SCHEMA contacthub AUTHORIZATION {role}")
    url = pg_server.url(name).replace("postgres@", f"{role}@")
    try:
        db = open_database(url)
        try:
            with db.transaction() as tx:
                tx.records.add(contact("Grete Dünker"))
                assert [r.contact.best_name() for r in tx.records.list(text="dunker")] == ["Grete Dünker"]
        finally:
            db.dispose()
        with admin.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'record_search_trgm'")).scalar() == 0
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA contacthub CASCADE")
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()
