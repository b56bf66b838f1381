"""The fleet: many targets of one business database, each passed by Celery workers (issue 17).

fleet_targets holds one row per target: its connector, location, selection
(filter, category) and connector options. Secret options are stored as
references only ({env = ...}, {keyring = ...}, {file = ...}), never the secret.
The rest is the scheduler's and the workers' bookkeeping: paused, the claim of
an enqueued pass (enqueued_at, enqueued_seq), backoff after failures, and how
the last pass ended. Each target's sync state (links) stays in sync_targets /
sync_links under its own key, `fleet:NAME`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0002: written out here, so this migration stays as it is when schema.py changes.
JSON_DATA = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fleet_targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("filters", JSON_DATA, nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("options", JSON_DATA, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("enqueued_at", TS, nullable=True),
        sa.Column("enqueued_seq", sa.BigInteger(), nullable=True),
        sa.Column("running_on", sa.Text(), nullable=True),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("backoff_until", TS, nullable=True),
        sa.Column("last_pass_at", TS, nullable=True),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.Column("last_pass", JSON_DATA, nullable=True),
        sa.Column("last_ok_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_targets"),
        sa.UniqueConstraint("name", name="uq_fleet_targets_name"),
    )


def downgrade() -> None:
    op.drop_table("fleet_targets")
