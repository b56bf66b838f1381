"""`contacthub db …`: several business databases, one current (D2)."""

from __future__ import annotations

import sys

import click

from contacthub.cli.output import echo, plural, print_json, table
from contacthub.cli.verbose import VERBOSE
from contacthub.errors import ConfigError
from contacthub.sync.outcome import EXIT_CODES_HELP


@click.group()
def db() -> None:
    """Business databases: create, list and switch. One is current at a time.

    The default is a SQLite file in the user data folder; a team shares one
    PostgreSQL database by URL (postgresql+psycopg://user@host/name).
    """


@db.command("create")
@click.argument("name")
@click.option("--url", help="SQLAlchemy URL (default: a new SQLite file in the data folder).")
@click.option(
    "--password-env",
    metavar="VAR",
    help="Read the database password from this environment variable at each use (never stored).",
)
@click.option(
    "--schema",
    metavar="NAME",
    help="PostgreSQL: the schema for contacthub's tables (default: contacthub); kept in the config.",
)
@click.option("--use", "switch", is_flag=True, help="Make the new database the current one.")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@click.pass_obj
def create(
    hub, name: str, url: str | None, password_env: str | None, schema: str | None, switch: bool, dry_run: bool
) -> None:
    """Create a business database and add it to the config.

    A password given inside --url is moved to the system keyring, never written
    to the config file.
    """
    from contacthub.config import DatabaseEntry
    from contacthub.secrets import move_password_out_of_url

    config = hub.config
    if name in config.databases:
        raise ConfigError(f"a database named '{name}' already exists ({config.databases[name].url})")
    entry = DatabaseEntry(name, url or hub.paths.default_database_url(name), schema=schema)
    if schema is not None and not entry.url.startswith("postgresql"):
        raise click.UsageError("--schema is for PostgreSQL databases only (SQLite has no schemas)")
    if password_env:
        entry.password = {"env": password_env}
    if dry_run:
        echo(f"Would create database {name} at {_display(entry.url)}")
        return
    move_password_out_of_url(entry)
    config.databases[name] = entry
    database = hub.database(name)  # creates and migrates it; fails before the config is saved
    if switch:
        config.current_database = name
    config.save()
    echo(f"Created database {name} at {database.url_display}{' (now current)' if switch else ''}")


def _display(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(hub, as_json: bool) -> None:
    """List the databases; the current one is marked. A PostgreSQL database shows the schema its tables live in."""
    from contacthub.store.pg_layout import effective_schema

    config = hub.config
    entries = sorted(config.databases.values(), key=lambda e: e.name)
    schemas = {e.name: effective_schema(e.url, e.schema) for e in entries}
    if as_json:
        print_json(
            [
                {"name": e.name, "url": _display(e.url), "schema": schemas[e.name], "current": e.name == config.current_database}
                for e in entries
            ]
        )
        return
    rows = [["*" if e.name == config.current_database else "", e.name, _display(e.url), schemas[e.name] or ""] for e in entries]
    table(None, ["", "Database", "URL", "Schema"], rows)


@db.command("use", epilog=EXIT_CODES_HELP)
@click.argument("name")
@click.option(
    "--synced",
    type=click.Choice(["keep", "delete", "import"]),
    help="What to do with the target's synced copies of the database being left: keep them, "
    "delete them, or import them into NAME (asked on a terminal when needed).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@VERBOSE
@click.pass_obj
def use(hub, name: str, synced: str | None, dry_run: bool, verbose: bool) -> None:
    """Make NAME the current database. Sync, if on, goes on with the same target (W1, W2).

    With sync on, the switch ends with a pass; its exit code is the command's.
    """
    from contacthub.sync.target import sync_settings

    config = hub.config
    config.database(name)  # unknown name: one clear line
    previous_name = config.current_database
    if name == previous_name:
        echo(f"{name} is already the current database")
        return
    settings = sync_settings(config)
    new_db = hub.database(name)  # it must open before it becomes current
    left = None
    if settings is not None:
        left = _leave_copies(hub, settings, hub.database(previous_name), new_db, synced, dry_run, verbose)
    if dry_run:
        echo(f"Would switch from {previous_name} to {name}")
        return
    config.current_database = name
    config.save()
    echo(f"Current database: {name}")
    if settings is not None:
        from contacthub.cli.sync_cmd import exit_with, one_pass

        result = one_pass(hub, settings, verbose=verbose)
        exit_with(result if result.exit_code or left is None else left)


def _leave_copies(hub, settings, previous_db, new_db, synced: str | None, dry_run: bool, verbose: bool):
    """W1: the target holds copies of the database being left; keep, delete or import them.

    Returns what was done (its `exit_code` is 3 when some copies could not be handled), or None.
    """
    from contacthub.cli.sync_cmd import print_problems
    from contacthub.sync.lifecycle import copies_of, import_copies, remove_copies
    from contacthub.sync.lock import pass_lock

    connector = hub.open_target(settings.target)
    try:
        count = len(copies_of(connector, previous_db.id))
        if count == 0:
            return None
        if synced is None:
            if not sys.stdin.isatty():
                raise ConfigError(
                    f"{settings.target} holds {plural(count, 'synced copy', 'synced copies')} of the database being left: "
                    "choose --synced keep, delete or import"
                )
            synced = click.prompt(
                f"{settings.target} holds {plural(count, 'synced copy', 'synced copies')} of the database being left. "
                "Keep, delete or import them?",
                type=click.Choice(["keep", "delete", "import"]),
            )
        with pass_lock(new_db, settings.target.key, hub.paths.data_dir):
            if synced == "delete":
                outcome = remove_copies(previous_db, connector, settings.target.key, dry_run=dry_run)
            elif synced == "import":
                outcome = import_copies(previous_db, new_db, connector, settings, dry_run=dry_run)
            else:
                echo(f"Keeping {plural(count, 'copy')} of the previous database in {settings.target}")
                return None
    finally:
        connector.close()
    verb = {"delete": "deleted", "import": "imported"}[synced]
    echo(f"{'Would have ' + verb if dry_run else verb.capitalize()} {plural(outcome.count, 'copy')} of the previous database")
    print_problems(outcome, f"of the previous database in {settings.target} could not be {verb}", verbose)
    return outcome
