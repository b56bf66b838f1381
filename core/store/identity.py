"""Which ids and cards stand for which record: merged ids (aliases) and imported cards (fingerprints)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from contacthub.store.schema import RecordAliasRow, RecordFingerprintRow, utcnow


class IdentityStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- aliases (I3) ---------------------------------------------------------

    # Finding a record by a merged-away id (I3) is reading.Reader.find_id: one lookup for every reader.

    def redirect(self, old_id: str, new_id: str) -> None:
        """`old_id` was merged into `new_id`: it, and every id that already pointed at it, now point there."""
        self._session.execute(update(RecordAliasRow).where(RecordAliasRow.record_id == old_id).values(record_id=new_id))
        self._session.add(RecordAliasRow(alias_id=old_id, record_id=new_id, merged_at=utcnow()))
        self._session.execute(
            update(RecordFingerprintRow).where(RecordFingerprintRow.record_id == old_id).values(record_id=new_id)
        )
        self._session.flush()

    def aliases_of(self, record_id: str) -> list[str]:
        stmt = select(RecordAliasRow.alias_id).where(RecordAliasRow.record_id == record_id).order_by(RecordAliasRow.alias_id)
        return list(self._session.scalars(stmt))

    # -- fingerprints of imported cards (I1) --------------------------------------

    def fingerprints(self) -> dict[str, str]:
        """Every remembered card fingerprint -> its record id."""
        rows = self._session.execute(select(RecordFingerprintRow.fingerprint, RecordFingerprintRow.record_id))
        return {fingerprint: record_id for fingerprint, record_id in rows}

    def iter_fingerprints(self) -> Iterator[tuple[str, str]]:
        """Every remembered card fingerprint and its record id, read a chunk at a time."""
        stmt = select(RecordFingerprintRow.fingerprint, RecordFingerprintRow.record_id).execution_options(yield_per=1000)
        for fingerprint, record_id in self._session.execute(stmt):  # noqa: UP028 (plain tuples, not rows)
            yield fingerprint, record_id

    def remember_many(self, found: dict[str, str]) -> None:
        """Store the fingerprints `found` (-> record id): new ones added, known ones pointed at their record.

        One SELECT and one multi-row INSERT per call: an import calls it once per chunk of cards.
        """
        if not found:
            return
        stmt = select(RecordFingerprintRow.fingerprint, RecordFingerprintRow.record_id).where(
            RecordFingerprintRow.fingerprint.in_(list(found))
        )
        self.remember(found, {f: r for f, r in self._session.execute(stmt)})

    def remember(self, found: dict[str, str], stored: dict[str, str]) -> None:
        """Store the fingerprints `found` (-> record id); `stored` is what `fingerprints()` returned.

        In one go at the end of an import: one statement per row as cards come costs more than
        the import itself.
        """
        new = [{"fingerprint": f, "record_id": r} for f, r in found.items() if f not in stored]
        if new:
            self._session.execute(insert(RecordFingerprintRow), new)
        for fingerprint, record_id in found.items():
            if fingerprint in stored and stored[fingerprint] != record_id:
                self._session.execute(
                    update(RecordFingerprintRow).where(RecordFingerprintRow.fingerprint == fingerprint).values(record_id=record_id)
                )
