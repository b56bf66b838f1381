"""Text search: each record's searchable text, indexed (U1 `contact list --search`).

record_search holds the folded text (contacthub.store.search.body_of). SQLite
indexes it with an FTS5 trigram table (external content, kept in step by the
triggers below, so writers only ever touch record_search). PostgreSQL uses a
pg_trgm GIN index when the extension is installed or can be installed here;
without it, searches still work (LIKE over the table, in the server), unindexed.
Existing records get their text now.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from contacthub.store.search import FTS_TABLE, TRGM_INDEX, body_of

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

# https://www.sqlite.org/fts5.html#external_content_tables: the triggers that keep
# an external-content FTS5 table in step with its content table.
SQLITE_FTS = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(body, content='record_search', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON record_search BEGIN
        INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON record_search BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE ON record_search BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END""",
]


def upgrade() -> None:
    op.create_table(
        "record_search",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_search"),
        sa.UniqueConstraint("record_id", name="uq_record_search_record_id"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_record_search_record_id_records", ondelete="CASCADE"
        ),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        _trigram_index(bind)
    _fill(bind)


def _trigram_index(bind: sa.Connection) -> None:
    """A GIN trigram index if pg_trgm is there or may be installed; else none (searches scan)."""
    schema = _pg_trgm_schema(bind)
    if schema is None:
        try:
            with bind.begin_nested():  # a refusal (no privilege, not shipped) must not end the migration
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa.exc.DBAPIError:
            return
        schema = _pg_trgm_schema(bind)
    if schema is not None:
        quoted = bind.dialect.identifier_preparer.quote(schema)
        op.execute(f"CREATE INDEX {TRGM_INDEX} ON record_search USING gin (body {quoted}.gin_trgm_ops)")


def _pg_trgm_schema(bind: sa.Connection) -> str | None:
    return bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar_one_or_none()


def _fill(bind: sa.Connection) -> None:
    records = sa.table("records", sa.column("id"), sa.column("data", sa.JSON))
    search = sa.table("record_search", sa.column("record_id"), sa.column("body"))
    rows = bind.execute(sa.select(records.c.id, records.c.data)).all()
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        bind.execute(sa.insert(search), [{"record_id": id, "body": body_of(data)} for id, data in chunk])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for suffix in ("_ai", "_ad", "_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    op.drop_table("record_search")
