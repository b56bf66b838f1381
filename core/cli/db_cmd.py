"""`contacthub db …`: several business databases, one current (D2)."""

from __future__ import annotations

import click

from contacthub.cli.output import print_json, table
from contacthub.errors import ConfigError


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
@click.option("--use", "switch", is_flag=True, help="Make the new database the current one.")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@click.pass_obj
def create(hub, name: str, url: str | None, password_env: str | None, switch: bool, dry_run: bool) -> None:
    """Create a business database and add it to the config.

    A password given inside --url is moved to the system keyring, never written
    to the config file.
    """
    from contacthub.config import DatabaseEntry
    from contacthub.secrets import move_password_out_of_url

    config = hub.config
    if name in config.databases:
        raise ConfigError(f"a database named '{name}' already exists ({config.databases[name].url})")
    entry = DatabaseEntry(name, url or hub.paths.default_database_url(name))
    if password_env:
        entry.password = {"env": password_env}
    if dry_run:
        click.echo(f"Would create database {name} at {_display(entry.url)}")
        return
    move_password_out_of_url(entry)
    config.databases[name] = entry
    database = hub.database(name)  # creates and migrates it; fails before the config is saved
    if switch:
        config.current_database = name
    config.save()
    click.echo(f"Created database {name} at {database.url_display}{' (now current)' if switch else ''}")


def _display(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(hub, as_json: bool) -> None:
    """List the databases; the current one is marked."""
    config = hub.config
    entries = sorted(config.databases.values(), key=lambda e: e.name)
    if as_json:
        print_json([{"name": e.name, "url": _display(e.url), "current": e.name == config.current_database} for e in entries])
        return
    rows = [["*" if e.name == config.current_database else "", e.name, _display(e.url)] for e in entries]
    table(None, ["", "Database", "URL"], rows)


@db.command("use")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@click.pass_obj
def use(hub, name: str, dry_run: bool) -> None:
    """Make NAME the current database."""
    config = hub.config
    config.database(name)  # unknown name: one clear line
    if dry_run:
        click.echo(f"Would switch from {config.current_database} to {name}")
        return
    hub.database(name)  # it must open before it becomes current
    config.current_database = name
    config.save()
    click.echo(f"Current database: {name}")
