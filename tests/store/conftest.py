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

import uuid
from collections.abc import Callable, Iterator

import pytest

from contacthub.store import Database, open_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_url(backend, tmp_path, request) -> Callable[..., str]:
    """A factory of URLs of fresh, empty databases on the test's backend.

    own_database=True: a real PostgreSQL database of its own; with
    create=False it is left for `open_database` to create.
    """
    server = request.getfixturevalue("pg_server") if backend == "postgresql" else None

    def make(own_database: bool = False, create: bool = True) -> str:
        if server is None:
            return f"sqlite:///{tmp_path / 'dbs' / uuid.uuid4().hex[:12]}.sqlite"
        if own_database or not create:
            return server.url(server.database(create=create))
        return server.schema_url()

    return make


@pytest.fixture
def db(new_url) -> Iterator[Database]:
    database = open_database(new_url())
    yield database
    database.dispose()
