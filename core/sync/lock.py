"""One pass per target at a time, across processes and machines.

PostgreSQL: a session advisory lock, so two machines sharing one team database
never interleave. SQLite (one machine): an flock on a file beside the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from contacthub.errors import ContactHubError


class Busy(ContactHubError):
    """Another pass on the same target is running."""


def _key(target_key: str) -> int:
    # A signed 64-bit number, as pg_advisory_lock wants.
    return int.from_bytes(hashlib.sha256(f"contacthub-sync:{target_key}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def pass_lock(db, target_key: str, lock_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the target's pass lock; without `wait`, raise Busy at once when it is taken.

    `lock_dir` is used for a SQLite database without a file (in memory).
    """
    message = f"another sync pass on {target_key} is running (a `sync watch` or another machine); try again later"
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            got = conn.execute(text(f"SELECT {function}(:k)"), {"k": _key(target_key)}).scalar()
            conn.commit()
            if got is False:
                raise Busy(message)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(target_key)})
                conn.commit()
        return
    database = db.engine.url.database
    if database and database != ":memory:":
        lock_dir = Path(database).parent  # beside the file, whoever's config opened it
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"sync-{_key(target_key) & 0xFFFFFFFFFFFF:012x}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(message) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
