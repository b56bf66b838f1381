"""Sync state tables; history may hold "conflict" entries.

sync_targets / sync_links / sync_conflicts keep the sync engine's state in the
same database (and transactions) as the records. History drops the unique
(record_id, version): a sync conflict's losing value is logged at the version
it lost to, without making a new version.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DATA = sa.JSON().with_variant(JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("history") as batch:
        batch.drop_constraint("uq_history_record_id_version", type_="unique")
        batch.create_index("ix_history_record_id_version", ["record_id", "version"])
    op.create_table(
        "sync_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("change_token", sa.Text(), nullable=False),
        sa.Column("selection", sa.Text(), nullable=False),
        sa.Column("last_pass_at", TS, nullable=True),
        sa.Column("last_pass", JSON_DATA, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_targets"),
        sa.UniqueConstraint("key", name="uq_sync_targets_key"),
    )
    op.create_table(
        "sync_links",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("remote_id", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("remote_hash", sa.Text(), nullable=False),
        sa.Column("base", JSON_DATA, nullable=False),
        sa.Column("synced_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("target_id", "record_id", name="pk_sync_links"),
        sa.ForeignKeyConstraint(
            ["target_id"], ["sync_targets.id"], name="fk_sync_links_target_id_sync_targets", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("local", JSON_DATA, nullable=True),
        sa.Column("remote", JSON_DATA, nullable=True),
        sa.Column("winner", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_conflicts"),
        sa.ForeignKeyConstraint(
            ["target_id"], ["sync_targets.id"], name="fk_sync_conflicts_target_id_sync_targets", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_sync_conflicts_target_id", "sync_conflicts", ["target_id"])


def downgrade() -> None:
    op.drop_table("sync_conflicts")
    op.drop_table("sync_links")
    op.drop_table("sync_targets")
    with op.batch_alter_table("history") as batch:
        batch.drop_index("ix_history_record_id_version")
        batch.create_unique_constraint("uq_history_record_id_version", ["record_id", "version"])
