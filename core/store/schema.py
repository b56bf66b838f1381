"""The business database's tables, as SQLAlchemy 2 declarative models.

Migrations (``migrations/versions``) are the source of truth for the DDL; these
models must describe the same tables. ``tests/store`` checks that they agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The column types live where the ORM-free read path (reading.py) can use them too.
from contacthub.store.coltypes import BigId, JsonData, UTCDateTime, utcnow  # noqa: F401 (utcnow: re-exported)


class Base(DeclarativeBase):
    # Named constraints, so later migrations can drop or alter them by name.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Meta(Base):
    """One row (id 1): the database's identity and the global change counter."""

    __tablename__ = "meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    db_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped by every record change; the row lock taken by that UPDATE also
    # serialises writers, so seq order is commit order (see seq.py).
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class RecordTypeRow(Base):
    __tablename__ = "record_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # casefold()ed name: SQL lower() is ASCII-only on SQLite.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    based_on: Mapped[str] = mapped_column(String(32))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class RecordRow(Base):
    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("record_types.id"), index=True)
    display_name: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JsonData())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)

    type: Mapped[RecordTypeRow] = relationship(lazy="joined", innerjoin=True)


class RecordCategory(Base):
    """The record's categories, mirrored from its contact, for filtering."""

    __tablename__ = "record_categories"

    record_id: Mapped[str] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    # casefold()ed, so filters match case-insensitively on every backend.
    category_key: Mapped[str] = mapped_column(Text, primary_key=True)
    category: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_record_categories_category_key", "category_key"),)


class HistoryRow(Base):
    """One change of a record; `data` is the contact as it was before the change.

    Ordered by `id`. `version` is not unique: a "conflict" entry (a sync's
    losing value, which never became a version) shares the version it lost to.
    """

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JsonData(), nullable=True)
    type_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_history_record_id_version", "record_id", "version"),)


# -- sync state (used by contacthub.sync.state; written in the same transactions) --


class SyncTargetRow(Base):
    """A target this database syncs (or synced) with, and where its last pass got to."""

    __tablename__ = "sync_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    connector: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seq: Mapped[int] = mapped_column(BigInteger, default=0)  # records' seq already synced
    change_token: Mapped[str] = mapped_column(Text, default="")
    selection: Mapped[str] = mapped_column(Text, default="")
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_pass: Mapped[dict[str, Any] | None] = mapped_column(JsonData(), nullable=True)


class SyncLinkRow(Base):
    """A record's synced copy in a target, and the base of the three-way merge."""

    __tablename__ = "sync_links"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("sync_targets.id", ondelete="CASCADE"), primary_key=True
    )
    # No foreign key on purpose: a link outliving its purged record is how the
    # engine finds copies that must still be removed.
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    remote_id: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str] = mapped_column(Text, default="")
    remote_hash: Mapped[str] = mapped_column(Text, default="")
    base: Mapped[dict[str, Any]] = mapped_column(JsonData())
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncTargetLabelRow(Base):
    """A category label the hub has written to a target's copies (T3), by target key: it outlives `sync stop`."""

    __tablename__ = "sync_target_labels"

    target_key: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str] = mapped_column(Text, primary_key=True)


class SyncConflictRow(Base):
    """A field changed on both sides (S10): both values and which one won."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("sync_targets.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[str] = mapped_column(String(36))  # kept after a purge, like a log
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    field: Mapped[str] = mapped_column(Text)
    local: Mapped[Any] = mapped_column(JsonData(), nullable=True)
    remote: Mapped[Any] = mapped_column(JsonData(), nullable=True)
    winner: Mapped[str] = mapped_column(String(16))


# -- merged ids and imported cards (contacthub.store.identity) --


class RecordAliasRow(Base):
    """A merged-away record's id, redirecting to the record it was merged into (I3)."""

    __tablename__ = "record_aliases"

    alias_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordFingerprintRow(Base):
    """The fingerprint of a card an import matched to a record (I1: the same card again is "unchanged")."""

    __tablename__ = "record_fingerprints"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)


class RecordSearchRow(Base):
    """Each record's searchable text (contacthub.store.search), for `contact list --search`.

    A plain table on every backend; SQLite indexes `body` with an FTS5 trigram
    table kept in step by triggers, PostgreSQL with a pg_trgm GIN index where
    the extension is available (migration 0006). Neither is a model here.
    """

    __tablename__ = "record_search"

    # An INTEGER key of its own: FTS5 needs a stable integer rowid to point at.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")


# -- the fleet: many targets passed by Celery workers (contacthub.fleet; migration 0007) --


class FleetTargetRow(Base):
    """One target of the fleet: what to sync where, and how its passes are going.

    `options` holds connector options; a secret option is a reference
    ({env = ...}, {keyring = ...}, {file = ...}), never the secret itself.
    """

    __tablename__ = "fleet_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    connector: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(Text)
    filters: Mapped[list[str]] = mapped_column(JsonData, default=list)
    category: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The scheduler's claim: a pass is queued (set) until a worker ends it (cleared);
    # enqueued_seq is the database's change counter (meta.seq) the claim was made at.
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enqueued_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    running_on: Mapped[str | None] = mapped_column(Text, nullable=True)  # "host:pid" of the worker mid-pass
    passes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row; 0 after a pass that reached the target
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_pass: Mapped[dict[str, Any] | None] = mapped_column(JsonData, nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
