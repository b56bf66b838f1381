"""Merged records' ids redirect; imported cards are remembered by fingerprint.

record_aliases: after `contact merge A B`, B's id points at A, so `show`,
`edit` and `merge` by B's id find A (I3). record_fingerprints: the hash of
each card an import turned into (or matched with) a record, so importing the
same export again adds nothing, also for cards without UID (I1), even after
the record was edited since.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "record_aliases",
        sa.Column("alias_id", sa.String(36), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("merged_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("alias_id", name="pk_record_aliases"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_record_aliases_record_id_records", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_record_aliases_record_id", "record_aliases", ["record_id"])
    op.create_table(
        "record_fingerprints",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_record_fingerprints"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_record_fingerprints_record_id_records", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_record_fingerprints_record_id", "record_fingerprints", ["record_id"])


def downgrade() -> None:
    op.drop_table("record_fingerprints")
    op.drop_table("record_aliases")
