"""Shared fixtures: every test gets its own CONTACTHUB_HOME, and a CLI runner."""

from __future__ import annotations

import json
import os
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """All state of the test in one fresh folder; no plugin allow-list unless a test sets one."""
    folder = tmp_path / "home"
    monkeypatch.setenv("CONTACTHUB_HOME", str(folder))
    monkeypatch.delenv("CONTACTHUB_CONFIG", raising=False)
    monkeypatch.delenv("CONTACTHUB_LOAD_PLUGINS", raising=False)
    from contacthub.plugins import builtin_plugins, load_plugins

    load_plugins.cache_clear()
    builtin_plugins.cache_clear()
    yield folder
    load_plugins.cache_clear()
    builtin_plugins.cache_clear()


class Runner:
    """Runs `contacthub ARGS` in-process and checks that no traceback escaped."""

    def __init__(self) -> None:
        self._runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True, input: str | None = None) -> Result:
        from contacthub.cli.main import cli

        result = self._runner.invoke(cli, list(args), input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            pytest.fail("contacthub raised:\n" + "".join(traceback.format_exception(result.exception)))
        if ok and result.exit_code != 0:
            pytest.fail(f"contacthub {' '.join(args)} exited {result.exit_code}:\n{result.output}")
        if not ok and result.exit_code == 0:
            pytest.fail(f"contacthub {' '.join(args)} should have failed:\n{result.output}")
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def run() -> Runner:
    return Runner()


@pytest.fixture
def memory_keyring():
    """A real keyring backend kept in memory, so tests never touch the user's keyring."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.passwords: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.passwords.get((service, username))

        def set_password(self, service, username, password):
            self.passwords[(service, username)] = password

        def delete_password(self, service, username):
            self.passwords.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


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

    def url(self, database: str) -> str:
        return PG_URL.format(name=database)

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


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty PostgreSQL database (a schema of the session's database) on the local server."""
    return pg_server.schema_url()


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the long tests (marked slow) and Hypothesis with many more examples",
    )


def pytest_configure(config):
    from hypothesis import settings

    settings.register_profile("slow", max_examples=2000, deadline=None)
    if config.getoption("--slow"):
        settings.load_profile("slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="long test: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
