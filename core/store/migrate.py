"""Bring a database's schema to the newest revision (Alembic, no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do; it only has to be the same for every contacthub process.
_PG_LOCK_KEY = 0x636F6E7461637468  # "contacth"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


class NewerSchemaError(Exception):
    """The database was migrated by a newer contacthub than this one."""

    def __init__(self, revision: str) -> None:
        super().__init__(revision)
        self.revision = revision


def upgrade(engine: Engine) -> None:
    """Migrate to head in one transaction; concurrent openers wait, then find nothing to do."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two first opens at once would both create the tables; SQLite needs
            # no such lock because its transactions begin IMMEDIATE (database.py).
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        current = current_revision(conn)
        if current == head_revision():
            return
        if current is not None and current not in known_revisions():
            raise NewerSchemaError(current)
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
