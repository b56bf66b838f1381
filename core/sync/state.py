"""Per-target sync state in the business database.

A *link* ties a record to its synced copy: remote id, the etag last seen, the
hash of the copy's content last seen, and the *base*: the contact both sides
agreed on at the last sync (the common ancestor for the three-way merge).
Links are written in the same transaction as the record change they go with,
so a pass killed at any point resumes without duplicates or lost edits (S12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from contacthub.connector import RemoteRef
from contacthub.model import Contact
from contacthub.store.schema import RecordRow, SyncConflictRow, SyncLinkRow, SyncTargetLabelRow, SyncTargetRow, utcnow
from contacthub.sync.batching import IDS_PER_QUERY, batches
from contacthub.sync.link_index import LinkIndex


@dataclass
class Link:
    record_id: str
    remote_id: str
    etag: str
    remote_hash: str
    base: Contact


def _to_link(row: SyncLinkRow) -> Link:
    return Link(row.record_id, row.remote_id, row.etag, row.remote_hash, Contact.from_dict(row.base))


class TargetState:
    """The sync state of one target in one database, working in a session."""

    def __init__(self, session: Session, row: SyncTargetRow) -> None:
        self.session = session
        self.row = row

    # -- the target row -------------------------------------------------

    @classmethod
    def get(cls, session: Session, key: str) -> TargetState | None:
        row = session.scalars(select(SyncTargetRow).where(SyncTargetRow.key == key)).one_or_none()
        return None if row is None else cls(session, row)

    @classmethod
    def get_or_create(cls, session: Session, key: str, connector: str) -> TargetState:
        state = cls.get(session, key)
        if state is not None:
            return state
        state = cls.unsaved(session, key, connector)
        session.add(state.row)
        session.flush()
        return state

    @classmethod
    def unsaved(cls, session: Session, key: str, connector: str) -> TargetState:
        """The state of a target never synced, not stored (what a dry run plans from)."""
        return cls(session, SyncTargetRow(key=key, connector=connector, created_at=utcnow(), seq=0, change_token="", selection=""))

    @staticmethod
    def all_keys(session: Session) -> list[str]:
        return list(session.scalars(select(SyncTargetRow.key).order_by(SyncTargetRow.id)))

    def finish_pass(self, seq: int, token: str, selection: str, summary: dict[str, Any]) -> None:
        self.row.seq = seq
        self.row.change_token = token
        self.row.selection = selection
        self.row.last_pass_at = utcnow()
        self.row.last_pass = summary

    def forget(self) -> None:
        """Drop the target and all its links (after its copies were removed, or kept on purpose)."""
        self.session.delete(self.row)
        self.session.flush()

    # -- links ----------------------------------------------------------

    def links(self) -> dict[str, Link]:
        rows = self.session.scalars(select(SyncLinkRow).where(SyncLinkRow.target_id == self.row.id))
        return {r.record_id: _to_link(r) for r in rows}

    def link_index(self) -> LinkIndex:
        """Every link's (record id, remote id, etag), on disk for a pass once it asks (close it when done)."""
        columns = select(SyncLinkRow.record_id, SyncLinkRow.remote_id, SyncLinkRow.etag).where(
            SyncLinkRow.target_id == self.row.id
        )
        by = {"remote_id": SyncLinkRow.remote_id, "record_id": SyncLinkRow.record_id}

        def some(column: str, ids: list[str]):
            # By record id: the primary key. By remote id: a scan of this target's links, in the database
            # (~10 ms at 100,000), instead of copying them all into the index (~0.5 s).
            return self.session.execute(columns.where(by[column].in_(ids)))

        everything = columns.execution_options(yield_per=2000)
        return LinkIndex(lambda: self.session.execute(everything), self.link_count(), some)

    def links_for(self, record_ids) -> dict[str, Link]:
        """The full links (with base snapshots) of these records, where they have one."""
        found: dict[str, Link] = {}
        for chunk in batches(sorted(set(record_ids)), IDS_PER_QUERY):
            stmt = select(SyncLinkRow).where(SyncLinkRow.target_id == self.row.id, SyncLinkRow.record_id.in_(chunk))
            found.update((r.record_id, _to_link(r)) for r in self.session.scalars(stmt))
        return found

    def link_count(self) -> int:
        stmt = select(func.count()).select_from(SyncLinkRow).where(SyncLinkRow.target_id == self.row.id)
        return self.session.execute(stmt).scalar_one()

    def orphan_record_ids(self) -> list[str]:
        """Links whose record no longer exists (purged): their copies must go."""
        stmt = (
            select(SyncLinkRow.record_id)
            .outerjoin(RecordRow, RecordRow.id == SyncLinkRow.record_id)
            .where(SyncLinkRow.target_id == self.row.id, RecordRow.id.is_(None))
        )
        return list(self.session.scalars(stmt))

    def put_link(self, record_id: str, ref: RemoteRef, remote_hash: str, base: Contact) -> None:
        row = self.session.get(SyncLinkRow, (self.row.id, record_id))
        if row is None:
            row = SyncLinkRow(target_id=self.row.id, record_id=record_id)
            self.session.add(row)
        row.remote_id = ref.remote_id
        row.etag = ref.etag
        row.remote_hash = remote_hash
        row.base = base.to_dict()
        row.synced_at = utcnow()
        self.session.flush()

    def put_links(self, links: list[tuple[str, RemoteRef, str, dict[str, Any]]]) -> None:
        """Many links at once (record id, copy, its hash, the base's dict): one DELETE and one INSERT.

        What a chunk of created copies needs: `put_link`'s read and flush per link were a
        third of a first sync's time.
        """
        if not links:
            return
        now = utcnow()
        for chunk in batches(links, IDS_PER_QUERY):
            ids = [record_id for record_id, *_ in chunk]
            self.session.execute(
                delete(SyncLinkRow).where(SyncLinkRow.target_id == self.row.id, SyncLinkRow.record_id.in_(ids)),
                execution_options={"synchronize_session": False},
            )
            rows = [
                {"target_id": self.row.id, "record_id": record_id, "remote_id": ref.remote_id, "etag": ref.etag,
                 "remote_hash": remote_hash, "base": base, "synced_at": now}
                for record_id, ref, remote_hash, base in chunk
            ]  # fmt: skip
            self.session.execute(insert(SyncLinkRow), rows)

    def relink(self, record_id: str, remote_id: str) -> None:
        """S13: the link follows its moved copy; base and last-seen hash stay, the etag is unknown.

        With no etag, a pass killed before the copy's content is merged reads it
        again on the next pass and merges it from the same base (S12).
        """
        row = self.session.get(SyncLinkRow, (self.row.id, record_id))
        if row is not None:
            row.remote_id, row.etag = remote_id, ""
            self.session.flush()

    def set_etag(self, record_id: str, etag: str) -> None:
        row = self.session.get(SyncLinkRow, (self.row.id, record_id))
        if row is not None:
            row.etag = etag

    def drop_link(self, record_id: str) -> None:
        self.session.execute(
            delete(SyncLinkRow).where(SyncLinkRow.target_id == self.row.id, SyncLinkRow.record_id == record_id)
        )

    # -- category labels written to the target (T3) -------------------------

    @staticmethod
    def remember_label(session: Session, key: str, label: str) -> None:
        """Note that copies in target `key` carry `label`, before the first is written with it."""
        if label and session.get(SyncTargetLabelRow, (key, label)) is None:
            session.add(SyncTargetLabelRow(target_key=key, label=label))
            session.flush()

    @staticmethod
    def written_labels(session: Session, key: str) -> list[str]:
        """Every label this database has written to target `key`: a copy may still carry any of them."""
        stmt = select(SyncTargetLabelRow.label).where(SyncTargetLabelRow.target_key == key)
        return sorted(session.scalars(stmt))

    # -- conflicts (S10) ----------------------------------------------------

    def add_conflict(self, record_id: str, field: str, local: Any, remote: Any, winner: str) -> None:
        self.session.add(
            SyncConflictRow(
                target_id=self.row.id,
                record_id=record_id,
                at=utcnow(),
                field=field,
                local=local,
                remote=remote,
                winner=winner,
            )
        )

    def conflicts(self, since: datetime | None = None) -> list[SyncConflictRow]:
        stmt = select(SyncConflictRow).where(SyncConflictRow.target_id == self.row.id)
        if since is not None:
            stmt = stmt.where(SyncConflictRow.at >= since)
        return list(self.session.scalars(stmt.order_by(SyncConflictRow.id)))
