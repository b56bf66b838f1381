"""A signal that the business records changed, from any process or machine (S15).

    signal = ChangeSignal(database)
    signal.mark()                 # "what I am about to sync is the state now"
    ...                           # run a pass
    if signal.wait(timeout=5):    # a record changed since mark() (or since the start)
        ...

What counts is the global change counter `meta.seq` (seq.py): every record change
bumps it, and nothing else does. So a commit that only writes sync state (links,
the last pass's report) is no change, and a pass whose own commits changed
records (a phone's edit brought in) is followed by at most one more pass, which
changes no record and so does not signal again: no loop of passes.

The cheap part is knowing *when* to read the counter:

- SQLite: `PRAGMA data_version` on one dedicated connection, every TICK seconds.
  Its value moves when any other connection (this process's or another's)
  commits, and reading it costs no disk I/O (WAL: a look at the -shm header).
  Chosen over a change file the hub touches plus watchdog: that only sees
  writers that touch the file (not an older contacthub, not the sqlite3 shell, not a
  crash between commit and touch), and inotify does not see writes made on another
  machine to a database on a network share. The database itself always knows.
- PostgreSQL: LISTEN/NOTIFY on channel CHANNEL. Every transaction that bumps
  meta.seq sends `NOTIFY contacthub_changes, '<schema>'` as its last statement
  before COMMIT (`announce_changes`, installed on every engine `open_database`
  makes): NOTIFY is transactional, so it is delivered only if the change is
  committed, and one transaction sends at most one. The payload is the schema,
  so several contacthub databases in one PostgreSQL database do not wake each
  other. A `psql` edit that does not go through contacthub sends nothing; the
  interval still covers it.

Other faces (the Celery fleet) LISTEN on the same CHANNEL or use this class.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from sqlalchemy import Engine, event, select

from contacthub.store.database import META  # light, not schema.Meta: a read on PostgreSQL loads no ORM

log = logging.getLogger(__name__)

CHANNEL = "contacthub_changes"
TICK = 0.25  # seconds between looks at SQLite's data_version (cheap; 2 s is the promise)
# The statement seq.py's next_seq compiles to, on any dialect (the counter only ever grows this way).
_BUMPS_SEQ = re.compile(r'^\s*UPDATE\s+(?:"?\w+"?\.)?"?meta"?\s+SET\s+"?seq"?\s*=', re.IGNORECASE)
_FLAG = "contacthub_records_changed"


class ChangeSignal:
    """Tells whether the records of one database changed since `mark()`; `close()` when done."""

    def __init__(self, database: Any, tick: float = TICK) -> None:
        self._engine: Engine = database.engine
        self._tick = tick
        self._postgres = self._engine.dialect.name == "postgresql"
        self._raw: Any = None  # SQLite: the data_version connection; PostgreSQL: the LISTEN connection
        self._driver: Any = None  # the driver's own connection object behind it
        self._version: Any = None
        self._schema = ""
        self._failing = False  # the last wait() met a dead connection
        self._seen = self._seq()

    def mark(self) -> int:
        """Take the counter now as 'seen' (call it just before a pass reads the records)."""
        self._seen = self._seq()
        return self._seen

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True as soon as a record changed since `mark()`.

        Stays True until the next `mark()`. A lost connection counts as a change
        once (one may have been missed; the pass it starts reports the failure);
        while the database stays away, the call just waits out its timeout.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            self._listen()
            if self._seq() != self._seen:
                return True
            self._failing = False
            while (left := deadline - time.monotonic()) > 0:
                if self._hint(left) and self._seq() != self._seen:
                    return True
            return False
        except Exception as exc:  # the database went away
            self._drop()
            if self._failing:
                time.sleep(max(0.0, deadline - time.monotonic()))
                return False
            self._failing = True
            log.info("database change signal: %s; listening again", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return True

    def close(self) -> None:
        self._drop()

    # -- inside ------------------------------------------------------------------

    def _seq(self) -> int:
        with self._engine.execution_options(contacthub_readonly=True).connect() as conn:
            return int(conn.execute(select(META.c.seq).where(META.c.id == 1)).scalar_one())

    def _listen(self) -> None:
        """The dedicated connection, opened before the counter is read (so no change falls between)."""
        if self._raw is not None:
            return
        raw = self._engine.raw_connection()
        driver = raw.driver_connection
        raw.detach()  # its LISTEN / its own data_version must not go back into the pool
        try:
            if self._postgres:
                driver.autocommit = True
                self._schema = driver.execute("SELECT current_schema()").fetchone()[0] or ""
                driver.execute(f"LISTEN {CHANNEL}")
            else:
                self._version = _data_version(driver)
        except Exception:
            raw.close()
            raise
        self._raw, self._driver = raw, driver

    def _hint(self, left: float) -> bool:
        """Wait up to `left` s for a sign that something was committed; True if one came."""
        driver = self._driver
        if self._postgres:
            for note in driver.notifies(timeout=left, stop_after=1):
                if note.payload in (self._schema, ""):
                    return True
            return False
        time.sleep(min(self._tick, left))
        version = _data_version(driver)
        moved, self._version = version != self._version, version
        return moved

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.close()
            except Exception:
                pass


def _data_version(sqlite_conn: Any) -> int:
    cur = sqlite_conn.execute("PRAGMA data_version")
    try:
        return int(cur.fetchone()[0])
    finally:
        cur.close()


def announce_changes(engine: Engine) -> None:
    """PostgreSQL: every transaction that bumps meta.seq sends NOTIFY CHANNEL, '<schema>' just before COMMIT.

    Seen on the connection (any path that bumps the counter: ORM, bulk inserts of
    other modules), sent on the driver's cursor inside the same transaction, so it
    is delivered only if the commit succeeds.
    """

    @event.listens_for(engine, "after_cursor_execute")
    def _seen(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _BUMPS_SEQ.match(statement):
            conn.info[_FLAG] = True

    @event.listens_for(engine, "commit")
    def _send(conn: Any) -> None:
        if conn.info.pop(_FLAG, False):
            with conn.connection.dbapi_connection.cursor() as cur:
                cur.execute("SELECT pg_notify(%s, current_schema())", (CHANNEL,))

    @event.listens_for(engine, "rollback")
    def _forget(conn: Any) -> None:
        conn.info.pop(_FLAG, None)
