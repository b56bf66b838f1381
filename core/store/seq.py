"""The global change counter behind `changed_since`.

Every record change takes the next number with ``UPDATE meta SET seq = seq + 1
RETURNING seq``. On PostgreSQL that UPDATE row-locks the counter until the
transaction ends, so writers queue behind each other and a reader can never see
seq N+1 committed while N is still in flight (a SEQUENCE would allow exactly
that gap and a sync pass would skip N for good). On SQLite writers are already
serialised by BEGIN IMMEDIATE. Numbers may have gaps (a rolled-back change).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contacthub.store.schema import Meta

_meta = Meta.__table__


def next_seq(session: Session) -> int:
    stmt = update(_meta).where(_meta.c.id == 1).values(seq=_meta.c.seq + 1).returning(_meta.c.seq)
    return session.execute(stmt).scalar_one()


def next_seqs(session: Session, n: int) -> int:
    """Take `n` numbers in one statement; returns the first (they are first .. first + n - 1)."""
    stmt = update(_meta).where(_meta.c.id == 1).values(seq=_meta.c.seq + n).returning(_meta.c.seq)
    return session.execute(stmt).scalar_one() - n + 1


def current_seq(session: Session) -> int:
    return session.execute(select(_meta.c.seq).where(_meta.c.id == 1)).scalar_one()


def lock_writers(session: Session) -> None:
    """Queue behind other writers now, as the first change would (read-modify-write safety)."""
    session.execute(select(_meta.c.seq).where(_meta.c.id == 1).with_for_update()).scalar_one()
