"""`contacthub init`: the config file and the default business database."""

from __future__ import annotations

import click

from contacthub.cli.output import echo


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would be created, create nothing.")
@click.pass_obj
def init(hub, dry_run: bool) -> None:
    """Create the config file and the default SQLite business database (safe to run again)."""
    config = hub.config
    created = not config.exists
    if dry_run:
        entry = config.database()
        echo(f"Config:   {hub.paths.config_file}{' (would be created)' if created else ''}")
        echo(f"Database: {entry.name} at {entry.url} (created when missing)")
        return
    if created:
        config.save()
    database = hub.database()
    echo(f"Config:   {hub.paths.config_file}{' (created)' if created else ''}")
    echo(f"Database: {config.current_database} at {database.url_display}")
