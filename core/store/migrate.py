"""Bring a database's schema to the newest revision (Alembic, no alembic.ini).

Opening a database that is already at the newest revision (every open but the
first after an upgrade) reads the stored revision with one plain query and
compares it with `HEAD_REVISION`: Alembic (~70 ms and ~8 MB of imports, with
mako and pygments) is only imported when there is something to migrate or to
explain. A test keeps `HEAD_REVISION` equal to the migrations' head.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions; bump it with every new migration
# (tests/store/test_database.py fails until it is).
HEAD_REVISION = "0007"
# PostgreSQL: a version table of its own, so a database shared with other apps (each with
# its own `alembic_version`) never mixes them up. SQLite files are ours alone: unchanged.
VERSION_TABLE = "alembic_version"
PG_VERSION_TABLE = "contacthub_alembic_version"
# Any constant will do; it only has to be the same for every contacthub process.
_PG_LOCK_KEY = 0x636F6E7461637468  # "contacth"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def version_table(dialect_name: str) -> str:
    return PG_VERSION_TABLE if dialect_name == "postgresql" else VERSION_TABLE


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    opts = {"version_table": version_table(connection.dialect.name)}
    return MigrationContext.configure(connection, opts=opts).get_current_revision()


def stored_revisions(connection: Connection) -> list[str]:
    """The revisions in the version table, without Alembic (none when there is no table yet)."""
    table = version_table(connection.dialect.name)
    if not connection.dialect.has_table(connection, table):
        return []
    return [row[0] for row in connection.execute(text(f"SELECT version_num FROM {table}"))]


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


class NewerSchemaError(Exception):
    """The database was migrated by a newer contacthub than this one."""

    def __init__(self, revision: str) -> None:
        super().__init__(revision)
        self.revision = revision


def upgrade(engine: Engine, schema: str | None = None) -> None:
    """Migrate to head in one transaction; concurrent openers wait, then find nothing to do.

    `schema` (PostgreSQL): the schema the connections' search_path names
    (database.py); it is created if missing, and a database an older contacthub
    made in `public` is moved into it first (pg_layout.adopt_public_layout).
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two first opens at once would both create the tables; SQLite needs
            # no such lock because its transactions begin IMMEDIATE (database.py).
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        if stored_revisions(conn) == [HEAD_REVISION]:
            return  # the common case, decided without importing Alembic
        if schema is not None and conn.dialect.name == "postgresql":
            from contacthub.store.pg_layout import adopt_public_layout, ensure_schema

            ensure_schema(conn, schema)
            adopt_public_layout(conn, schema, known_revisions())
        current = current_revision(conn)
        if current == head_revision():
            return
        if current is not None and current not in known_revisions():
            raise NewerSchemaError(current)
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        cfg.attributes["version_table"] = version_table(conn.dialect.name)
        command.upgrade(cfg, "head")
