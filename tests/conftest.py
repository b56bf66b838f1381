"""Shared fixtures: every test gets its own CONTACTHUB_HOME, and a CLI runner."""

from __future__ import annotations

import json
import traceback

import pytest
from click.testing import CliRunner, Result


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """All state of the test in one fresh folder; no plugin allow-list unless a test sets one."""
    folder = tmp_path / "home"
    monkeypatch.setenv("CONTACTHUB_HOME", str(folder))
    monkeypatch.delenv("CONTACTHUB_CONFIG", raising=False)
    monkeypatch.delenv("CONTACTHUB_LOAD_PLUGINS", raising=False)
    from contacthub.plugins import load_plugins

    load_plugins.cache_clear()
    yield folder
    load_plugins.cache_clear()


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


def _postgres_admin_url() -> str:
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database on the local server, dropped afterwards.

    Skipped when no server answers, except in CI (CONTACTHUB_REQUIRE_POSTGRES=1),
    where .ci/run has made sure one does.
    """
    import os
    import uuid

    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin = sqlalchemy.create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        connection = admin.connect()
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CONTACTHUB_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 does not answer: {exc}")
        pytest.skip("no PostgreSQL server answers at 127.0.0.1:5432")
    name = f"contacthub_t_{uuid.uuid4().hex[:12]}"
    connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.close()
        admin.dispose()


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
