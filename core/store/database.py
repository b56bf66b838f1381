"""Open a business database (any SQLAlchemy URL), migrate it, run transactions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Integer, String, column, create_engine, event, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from contacthub.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from contacthub.store.reading import Reader

# The ORM (sessions, the models, the record and type stores) is imported by `transaction()`
# only: the read-only commands (`contact list`, `show`, `sync status`) read through
# `reading()` with SQLAlchemy Core and never load it (tests/test_import_costs.py).
META = table("meta", column("id", Integer), column("db_id", String), column("seq", Integer))  # schema.Meta, named lightly

SQLITE_BUSY_TIMEOUT_MS = 15_000


class Tx:
    """One transaction: the session plus the record and type stores working in it.

    Writers are serialised from their first change on (the seq counter's row
    lock on PostgreSQL, BEGIN IMMEDIATE on SQLite). A transaction that reads
    records and then writes what it computed from them should call `lock()`
    before reading, so no concurrent writer slips in between.
    """

    def __init__(self, session: Session) -> None:
        from contacthub.store.records import RecordStore
        from contacthub.store.types import TypeStore

        self.session = session
        self.types = TypeStore(session)
        self.records = RecordStore(session, self.types)

    def lock(self) -> None:
        from contacthub.store.seq import lock_writers

        lock_writers(self.session)


class Database:
    """An open business database. Make one with `open_database`."""

    def __init__(self, engine: Engine, url: URL, db_id: str) -> None:
        self._engine = engine
        self._url = url
        self.id = db_id  # made once at creation; sync markers carry it

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def url_display(self) -> str:
        return self._url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self, readonly: bool = False, steps: bool = False) -> Iterator[Tx]:
        """Commit at the end of the block, roll back if it raises.

        On SQLite a transaction takes the write lock when it begins, so two
        writers queue (busy_timeout) instead of failing half-way through;
        `readonly=True` skips that, for reads that should not wait behind a writer.
        `steps=True`: the block may also `tx.session.commit()` along the way (a big
        import, a chunk at a time); what it raises rolls back the unfinished step only.
        """
        from sqlalchemy.orm import Session

        bind = self._engine.execution_options(contacthub_readonly=True) if readonly else self._engine
        with Session(bind, expire_on_commit=False) as session:
            try:
                if steps:
                    yield Tx(session)
                    session.commit()
                    return
                with session.begin():
                    yield Tx(session)
            except SQLAlchemyError as exc:
                raise DatabaseError(f"database {self.url_display}: {_first_line(exc)}") from exc

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """One read-only transaction through SQLAlchemy Core (reading.py), without the ORM.

        For commands that only read: like `transaction(readonly=True)`, it never waits
        behind a writer on SQLite; its `Reader` reads the same records and types.
        """
        from contacthub.store.reading import Reader

        try:
            with self._engine.execution_options(contacthub_readonly=True).connect() as conn, conn.begin():
                yield Reader(conn)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"database {self.url_display}: {_first_line(exc)}") from exc

    def dispose(self) -> None:
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url_display!r})"


def open_database(url: str | URL, schema: str | None = None) -> Database:
    """Open (creating if new) the database at `url` and migrate it to the newest schema.

    `schema` (PostgreSQL only): the schema for contacthub's tables; by default the
    first one of a `search_path` the URL's `options` set, else `contacthub`.
    """
    from contacthub.store import migrate  # Alembic is heavy; only opening needs it

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {_redact(str(url))}") from None
    shown = parsed.render_as_string(hide_password=True)
    pg_schema = _pg_schema(parsed, schema, shown) if parsed.get_backend_name() == "postgresql" else None
    try:
        engine = _create_engine(parsed, pg_schema)
    except (NoSuchModuleError, ImportError) as exc:
        if parsed.get_backend_name() == "postgresql":
            raise DatabaseError(
                f"cannot open database {shown}: the PostgreSQL driver is not installed ({exc}); "
                "install it with: pip install 'contacthub[postgresql]'"
            ) from None
        raise DatabaseError(f"cannot open database {shown}: no driver for {parsed.drivername!r} ({exc})") from None
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseError(f"cannot open database {shown}: {_first_line(exc)}") from None
    try:
        try:
            migrate.upgrade(engine, pg_schema)
        except SQLAlchemyError as exc:
            if not _missing_pg_database(parsed, exc):
                raise
            _create_pg_database(parsed)
            migrate.upgrade(engine, pg_schema)
        with engine.connect() as conn:
            db_id = conn.execute(select(META.c.db_id).where(META.c.id == 1)).scalar_one()
    except migrate.NewerSchemaError as exc:
        engine.dispose()
        raise DatabaseError(
            f"cannot open database {shown}: its schema ({exc.revision}) is newer than this contacthub; upgrade contacthub"
        ) from None
    except (OSError, SQLAlchemyError) as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database {shown}: {_first_line(exc, parsed.password)}") from None
    return Database(engine, parsed, db_id)


def _pg_schema(url: URL, schema: str | None, shown: str) -> str:
    from contacthub.store.pg_layout import DEFAULT_SCHEMA, checked_schema, schema_from_url_options

    options = url.query.get("options")
    chosen = schema or schema_from_url_options(options if isinstance(options, str) else None) or DEFAULT_SCHEMA
    return checked_schema(chosen, f"cannot open database {shown}")


def _create_engine(url: URL, pg_schema: str | None = None) -> Engine:
    if url.get_backend_name() != "sqlite":
        # pre-ping: a background `sync watch` outlives server restarts and idle timeouts.
        engine = create_engine(url, pool_pre_ping=True)
        if pg_schema is not None:
            _use_schema(engine, pg_schema)
        if url.get_backend_name() == "postgresql":
            from contacthub.store.change_signal import announce_changes

            announce_changes(engine)  # S15: a record change wakes `sync watch` at once (NOTIFY)
        return engine
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_sqlite_file(url, Path(database))
    engine = create_engine(url)
    _configure_sqlite(engine)
    return engine


def _private_sqlite_file(url: URL, path: Path) -> None:
    """U5: the file (and its folder) owner-only before SQLite opens it.

    SQLite gives its -wal, -shm and -journal files the database file's mode, so
    they are owner-only too; ones an older contacthub left open are tightened.
    """
    from contacthub.private import notice, private_dir, private_file, tighten

    what = f"folder {path.parent}"
    try:
        private_dir(path.parent)
        what = f"file {path}"
        private_file(path)
    except OSError as exc:
        shown = url.render_as_string(hide_password=True)
        raise DatabaseError(f"cannot open database {shown}: cannot create {what} ({exc.strerror or exc})") from None
    notice(tighten(path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")))


def _use_schema(engine: Engine, schema: str) -> None:
    """Every connection finds (and creates) contacthub's tables in `schema` only (pg_layout.py says why)."""

    @event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Outside a transaction, so SQLAlchemy's own BEGIN/ROLLBACK cannot undo it
        # (https://docs.sqlalchemy.org/en/20/dialects/postgresql.html#setting-alternate-search-paths-on-connect).
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET SESSION search_path TO "{schema}"')  # checked_schema: a plain name
        dbapi_conn.autocommit = autocommit


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); pysqlite's own BEGIN is deferred and
        # would let two writers deadlock when both upgrade to a write lock.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            # busy_timeout first: switching to WAL itself may have to wait for a lock.
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster commits
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("contacthub_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _missing_pg_database(url: URL, exc: Exception) -> bool:
    return url.get_backend_name() == "postgresql" and "does not exist" in str(exc) and "database" in str(exc)


def _create_pg_database(url: URL) -> None:
    """A PostgreSQL URL naming a database that does not exist yet: create it, if we may."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(url.database or "")
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_CREDENTIALS = re.compile(r"^(\w[\w+.-]*://)?.*@")


def _redact(text: str) -> str:
    text = _PASSWORD_IN_URL.sub(r"\1***@", text)
    # Anything else before an "@" might be credentials too (a malformed URL).
    return text if "***@" in text else _CREDENTIALS.sub(lambda m: (m.group(1) or "") + "***@", text)


def _first_line(exc: BaseException, password: str | None = None) -> str:
    """The driver's message, one line, with no SQLAlchemy boilerplate and no password."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(inner).__name__)
    line = re.sub(r"^connection failed:\s*", "", line)
    line = _redact(line)
    if password:
        line = line.replace(password, "***")
    return line
