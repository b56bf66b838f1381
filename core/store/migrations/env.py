"""Alembic environment for the business database.

Normally run by `contacthub.store.migrate`, which hands over an open connection
(already inside the transaction that holds the migration lock) through
``config.attributes["connection"]``. For development, `alembic -x url=...`
with a config whose script_location is this folder works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from contacthub.store.migrate import version_table
from contacthub.store.schema import Base
from contacthub.store.search import is_index_object

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # contacthub_alembic_version on PostgreSQL (migrate.py says why); a test may ask for another.
        version_table=config.attributes.get("version_table") or version_table(connection.dialect.name),
        # The search index's FTS5 tables and trigram index are made by hand in 0006.
        include_name=lambda name, _type, _parent: not is_index_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database URL: alembic -x url=sqlite:///path/to/db ...")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
