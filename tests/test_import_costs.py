"""What a command imports: start-up time and memory of `contacthub sync run` (no timing here).

Each check runs in a fresh interpreter and looks at `sys.modules`: a library that
is not imported costs neither time nor memory. CardDAV's no-change pass is checked
in tests/connectors/carddav/test_carddav_imports.py (it needs a server).
"""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from contacthub.cli.main import COMMANDS, cli
from contacthub.store import open_database
from contacthub.store.migrate import HEAD_REVISION, head_revision


def _modules_after(code: str, names: tuple[str, ...], env: dict | None = None) -> list[str]:
    """The `names` a fresh interpreter has imported after running `code` (by its exit: the console
    script's `main()` ends the process, and only the atexit handlers run after it)."""
    report = f"print(sorted(m for m in {names!r} if m in sys.modules))"
    probe = f"import atexit, sys\natexit.register(lambda: {report})\n{code}"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    return eval(result.stdout.strip().splitlines()[-1])


def test_head_revision_known_to_the_code_is_the_migrations_head():
    """migrate.HEAD_REVISION spares Alembic on every open; a new migration must bump it."""
    assert HEAD_REVISION == head_revision()


def test_opening_a_database_at_head_imports_no_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    open_database(url).dispose()  # made and migrated here, with Alembic
    code = f"from contacthub.store import open_database\nopen_database({url!r}).dispose()"
    assert _modules_after(code, ("alembic", "mako")) == []


def test_the_cli_imports_only_the_command_it_runs():
    code = (
        "from contacthub.cli.main import cli\n"
        "try:\n    cli(['sync', '--help'], prog_name='contacthub')\nexcept SystemExit:\n    pass"
    )
    others = tuple(f"contacthub.cli.{module}" for module, _ in COMMANDS.values() if module != "sync_cmd")
    assert _modules_after(code, others) == []


def test_every_lazy_command_is_found_under_its_own_name():
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name, name
    assert cli.list_commands(ctx) == sorted(COMMANDS)


def test_reading_no_card_imports_no_vobject():
    """vcard.py is imported with every connector; vobject only when a card is read or written."""
    code = "import contacthub.vcard, contacthub.connectors.carddav.markers"
    assert _modules_after(code, ("vobject",)) == []
    code += "\nfrom contacthub.model import Contact\ncontacthub.vcard.to_vcard(Contact(display_name='A'))"
    assert _modules_after(code, ("vobject",)) == ["vobject"]


def test_loading_pauses_the_collector_and_freezes_only_what_it_loaded():
    """no_gc_while_loading: what an import made is frozen once; a block that loads nothing
    (the next pass of `sync watch`) freezes nothing, and the collector is always on afterwards."""
    code = (
        "import gc, sys\n"
        "from contacthub.cli.context import no_gc_while_loading\n"
        "start = gc.get_freeze_count()\n"
        "with no_gc_while_loading():\n    assert not gc.isenabled()\n    import wave\n"
        "loaded = gc.get_freeze_count()\n"
        "assert gc.isenabled()\n"
        "garbage = [[] for _ in range(1000)]\n"
        "with no_gc_while_loading():\n    pass\n"
        "assert gc.isenabled() and gc.get_freeze_count() == loaded > start, (start, loaded)\n"
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


# What a read-only everyday command must not load (issue 14: `contact list`, `contact show`
# and `sync status` answer in under 0.3 s): the ORM (they read with SQLAlchemy Core), the
# PostgreSQL dialect on SQLite, Alembic at head, the engine, connectors and their libraries,
# vCard, phone parsing, and rich when the output is piped.
NOT_ON_THE_READ_PATH = (
    "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql",
    "alembic",
    "contacthub.store.schema",
    "contacthub.sync.plan",
    "contacthub.sync.engine",
    "contacthub.sync.apply",
    "contacthub.sync.state",
    "contacthub.plugins",
    "contacthub.connectors",
    "contacthub.vcard",
    "pluggy",
    "vobject",
    "phonenumbers",
    "caldav",
    "requests",
    "rich",
)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("command", ["contact list", "contact show", "sync status"])
def test_u1_everyday_read_commands_import_no_orm_engine_or_connector(run, request, tmp_path, command, backend):
    unwanted = NOT_ON_THE_READ_PATH
    if backend == "postgresql":  # a team database: its dialect is needed, the rest is not
        run("db", "create", "team", "--url", request.getfixturevalue("pg_url"), "--use")
        unwanted = tuple(m for m in unwanted if m != "sqlalchemy.dialects.postgresql")
    run("contact", "add", "--name", "Ann Dunker", "--phone", "+47 22 33 44 55", "--category", "Customers")
    (tmp_path / "phone").mkdir()
    run("sync", "start", f"vcf:{tmp_path / 'phone'}")
    args = command.split() + ([run.json("contact", "list")[0]["id"][:8]] if command == "contact show" else [])
    code = (
        "import sys\nfrom contacthub.cli.main import main\n"
        f"sys.argv = ['contacthub', *{args!r}]\n"
        "main()"  # exits: its code is checked by _modules_after (check=True)
    )
    assert _modules_after(code, unwanted) == []
