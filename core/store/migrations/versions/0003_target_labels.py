"""The category labels the hub has written to each target (T3).

A copy left in the target without a link (its pass was killed, or a stop could
not remove it) still carries the label it was written with; when the label has
changed since, only this list tells it apart from a category of the contact's
own. Kept per target key, not per sync_targets row, so it outlives `sync stop`
(which forgets the row while such copies may remain).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_target_labels",
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("target_key", "label", name="pk_sync_target_labels"),
    )


def downgrade() -> None:
    op.drop_table("sync_target_labels")
