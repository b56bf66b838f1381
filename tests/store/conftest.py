"""Store fixtures: every test runs on SQLite and on the local PostgreSQL server.

`new_url()` hands out fresh, empty databases of the test's backend (a test may
need two, for D2). On PostgreSQL a "database" is by default a fresh schema of
one per-session database, reached via ``search_path`` in the URL: creating and
dropping whole databases forces server checkpoints and would make the suite
slow; `new_url(own_database=True)` gives a real separate database where that
matters. PostgreSQL tests skip only when no server answers at 127.0.0.1:5432
(or fail, with CONTACTHUB_REQUIRE_POSTGRES=1, as in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contacthub.store import Database, open_database

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


class PgServer:
    """Creates throwaway databases and schemas; drops them all at the end of the session."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.databases: list[str] = []
        self.shared = self.database()
        self._shared_conn: Any = None

    def database(self, create: bool = True) -> str:
        name = f"contacthub_t_{uuid.uuid4().hex[:12]}"
        if create:
            self.admin.execute(f'CREATE DATABASE "{name}"')
            # Throwaway test data: no need to wait for the disk at each commit.
            self.admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        self.databases.append(name)
        return name

    def schema_url(self) -> str:
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:12]}"
        if self._shared_conn is None:
            self._shared_conn = psycopg.connect(PG_ADMIN.replace("dbname=test", f"dbname={self.shared}"), autocommit=True)
        self._shared_conn.execute(f'CREATE SCHEMA "{schema}"')
        return PG_URL.format(name=self.shared) + f"?options=-csearch_path%3D{schema}"

    def drop_all(self) -> None:
        if self._shared_conn is not None:
            self._shared_conn.close()
        for name in self.databases:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        if os.environ.get("CONTACTHUB_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 does not answer: {exc}")
        pytest.skip(f"no PostgreSQL server answers at 127.0.0.1:5432 ({str(exc).splitlines()[0]})")
    server = PgServer(admin)
    yield server
    server.drop_all()
    admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_url(backend, tmp_path, request) -> Callable[..., str]:
    """A factory of URLs of fresh, empty databases on the test's backend.

    own_database=True: a real PostgreSQL database of its own; with
    create=False it is left for `open_database` to create.
    """
    server: PgServer | None = request.getfixturevalue("pg_server") if backend == "postgresql" else None

    def make(own_database: bool = False, create: bool = True) -> str:
        if server is None:
            return f"sqlite:///{tmp_path / 'dbs' / uuid.uuid4().hex[:12]}.sqlite"
        if own_database or not create:
            return PG_URL.format(name=server.database(create=create))
        return server.schema_url()

    return make


@pytest.fixture
def db(new_url) -> Iterator[Database]:
    database = open_database(new_url())
    yield database
    database.dispose()
