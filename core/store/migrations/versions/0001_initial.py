"""Initial schema: meta, record types, records, categories, history.

Also seeds what every database needs: its id, the change counter and the two
built-in record types, so that re-opening never adds them twice.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (a migration
# must not change when schema.py does later).
JSON_DATA = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    meta = op.create_table(
        "meta",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("db_id", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meta"),
    )
    types = op.create_table(
        "record_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_key", sa.String(100), nullable=False),
        sa.Column("based_on", sa.String(32), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_types"),
        sa.UniqueConstraint("name_key", name="uq_record_types_name_key"),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("data", JSON_DATA, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deleted_at", TS, nullable=True),
        sa.Column("deleted_reason", sa.String(16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.ForeignKeyConstraint(
            ["type_id"], ["record_types.id"], name="fk_records_type_id_record_types"
        ),
    )
    op.create_index("ix_records_type_id", "records", ["type_id"])
    op.create_index("ix_records_seq", "records", ["seq"])
    op.create_table(
        "record_categories",
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("category_key", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "category_key", name="pk_record_categories"),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_record_categories_record_id_records",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_record_categories_category_key", "record_categories", ["category_key"])
    op.create_table(
        "history",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("data", JSON_DATA, nullable=True),
        sa.Column("type_name", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
        sa.UniqueConstraint("record_id", "version", name="uq_history_record_id_version"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_history_record_id_records", ondelete="CASCADE"
        ),
    )

    # Naive UTC for SQLite (no zone support), aware for the rest.
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(meta, [{"id": 1, "db_id": str(uuid.uuid4()), "created_at": now, "seq": 0}])
    op.bulk_insert(
        types,
        [
            {"name": "business-contact", "name_key": "business-contact", "based_on": "business-contact", "builtin": True},
            {"name": "account", "name_key": "account", "based_on": "account", "builtin": True},
        ],
    )


def downgrade() -> None:
    op.drop_table("history")
    op.drop_table("record_categories")
    op.drop_table("records")
    op.drop_table("record_types")
    op.drop_table("meta")
