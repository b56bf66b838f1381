"""`contacthub init`: the config file and the default business database."""

from __future__ import annotations

import click


@click.command()
@click.pass_obj
def init(hub) -> None:
    """Create the config file and the default SQLite business database (safe to run again)."""
    config = hub.config
    created = not config.exists
    if created:
        config.save()
    database = hub.database()
    click.echo(f"Config:   {hub.paths.config_file}{' (created)' if created else ''}")
    click.echo(f"Database: {config.current_database} at {database.url_display}")
