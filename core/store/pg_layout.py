"""PostgreSQL: contacthub's tables live in a schema of their own (default `contacthub`).

A database shared with other apps then holds no contacthub table in `public`, and
the version table (`contacthub_alembic_version`) cannot be mistaken for another
app's `alembic_version`. Databases made by earlier versions have their tables in
`public` beside a generic `alembic_version`: `adopt_public_layout` moves them into
the schema (ALTER TABLE ... SET SCHEMA keeps rows, indexes, constraints and owned
sequences) inside the migration's transaction, so it happens whole or not at all.
Moving rather than going on using `public` leaves one layout to support, and frees
`public.alembic_version` for whichever app shares the database.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from contacthub.errors import DatabaseError
from contacthub.store.migrate import PG_VERSION_TABLE

DEFAULT_SCHEMA = "contacthub"
LEGACY_SCHEMA = "public"
LEGACY_VERSION_TABLE = "alembic_version"
# An unquoted PostgreSQL identifier, lower case: no quoting surprises in search_path.
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def effective_schema(url: str, schema: str | None) -> str | None:
    """The schema a database's tables live in: its `schema` setting, else the URL's search_path,
    else `contacthub`; None for a backend without schemas (SQLite). No check, no connection."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL is named when it is opened
        return None
    if parsed.get_backend_name() != "postgresql":
        return None
    options = parsed.query.get("options")
    return schema or schema_from_url_options(options if isinstance(options, str) else None) or DEFAULT_SCHEMA


def checked_schema(name: str, where: str) -> str:
    if not _SCHEMA_NAME.fullmatch(name):
        raise DatabaseError(
            f"{where}: schema {name!r} is not a plain PostgreSQL name (lower-case letters, digits, _)"
        )
    return name


def schema_from_url_options(options: str | None) -> str | None:
    """The first schema of a `search_path` the URL's `options` set (`-csearch_path=a,b`), if any."""
    found = re.search(r"search_path\s*=\s*([^\s,]+)", options or "")
    return found.group(1).strip('"') if found else None


def ensure_schema(conn: Connection, schema: str) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
    if exists is None:  # check first: a DBA may have made it for a user who may not CREATE SCHEMA
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')


def adopt_public_layout(conn: Connection, schema: str, known_revisions: set[str]) -> bool:
    """Take over the tables an earlier version made; True if there were any.

    Earlier versions kept a generic `alembic_version` in the schema they worked
    in: `public`, or the one a URL's search_path named. The tables of `public` are
    moved into `schema`; in both cases the version table gets contacthub's name.
    """
    if _has(conn, schema, PG_VERSION_TABLE):
        return False
    for source in dict.fromkeys([schema, LEGACY_SCHEMA]):  # the schema itself first
        if _made_by_earlier_version(conn, source, known_revisions):
            if source != schema:
                from contacthub.store.schema import Base  # the models: only here, not on every open

                for table in Base.metadata.tables:
                    if _has(conn, source, table):
                        conn.exec_driver_sql(f'ALTER TABLE "{source}"."{table}" SET SCHEMA "{schema}"')
            conn.exec_driver_sql(f'ALTER TABLE "{source}".{LEGACY_VERSION_TABLE} RENAME TO {PG_VERSION_TABLE}')
            if source != schema:
                conn.exec_driver_sql(f'ALTER TABLE "{source}".{PG_VERSION_TABLE} SET SCHEMA "{schema}"')
            return True
    return False


def _made_by_earlier_version(conn: Connection, schema: str, known_revisions: set[str]) -> bool:
    if not all(_has(conn, schema, t) for t in (LEGACY_VERSION_TABLE, "meta", "records")):
        return False  # nothing there, or another app's alembic_version
    revision = conn.exec_driver_sql(f'SELECT version_num FROM "{schema}".{LEGACY_VERSION_TABLE}').scalar()
    return revision in known_revisions


def _has(conn: Connection, schema: str, table: str) -> bool:
    return conn.dialect.has_table(conn, table, schema=schema)
