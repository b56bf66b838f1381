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
    from contacthub.services.databases import create as create_database

    entry = create_database(hub, name, url, schema=schema, password_env=password_env, switch=switch, dry_run=dry_run)
    if dry_run:
        echo(f"Would create database {name} at {_display(entry.url)}")
        return
    echo(f"Created database {name} at {_display(entry.url)}{' (now current)' if switch else ''}")


def _display(url: str) -> str:
    from contacthub.services.databases import display_url

    return display_url(url)


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
    from contacthub.services.databases import switch

    def choose(count: int, target) -> str:
        if not sys.stdin.isatty():
            raise ConfigError(
                f"{target} holds {plural(count, 'synced copy', 'synced copies')} of the database being left: "
                "choose --synced keep, delete or import"
            )
        return click.prompt(
            f"{target} holds {plural(count, 'synced copy', 'synced copies')} of the database being left. "
            "Keep, delete or import them?",
            type=click.Choice(["keep", "delete", "import"]),
        )

    done = switch(hub, name, synced, dry_run=dry_run, choose=choose, then_pass=False)
    if done.previous == name:
        echo(f"{name} is already the current database")
        return
    if done.synced == "keep":
        echo(f"Keeping {plural(done.count, 'copy')} of the previous database in {done.settings.target}")
    elif done.outcome is not None:
        from contacthub.cli.sync_cmd import print_problems

        verb = {"delete": "deleted", "import": "imported"}[done.synced]
        echo(f"{'Would have ' + verb if dry_run else verb.capitalize()} {plural(done.outcome.count, 'copy')} of the previous database")
        print_problems(done.outcome, f"of the previous database in {done.settings.target} could not be {verb}", verbose)
    if dry_run:
        echo(f"Would switch from {done.previous} to {name}")
        return
    echo(f"Current database: {name}")
    if done.settings is not None:
        from contacthub.cli.sync_cmd import exit_with, one_pass

        result = one_pass(hub, done.settings, verbose=verbose)
        exit_with(result if result.exit_code or done.outcome is None else done.outcome)
