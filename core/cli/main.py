"""The `contacthub` command: a thin click layer over the core.

Heavy libraries (SQLAlchemy, vobject, rich) are imported inside the commands
that use them, so `contacthub --help` starts fast.
"""

from __future__ import annotations

import logging

import click

from contacthub import __version__
from contacthub.cli.context import Hub
from contacthub.errors import ContactHubError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class HubGroup(click.Group):
    """Turns expected failures into click's one-line "Error: …" and exit 1, with no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ContactHubError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:  # a path that cannot be read or written: name it
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None


class _WarningsToStderr(logging.Handler):
    """Warnings from the core and connectors (a skipped file, a failed pass in watch) as one stderr line each."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(prefix + record.getMessage(), err=True)


def _setup_logging() -> None:
    logger = logging.getLogger("contacthub")
    if not any(isinstance(h, _WarningsToStderr) for h in logger.handlers):
        logger.addHandler(_WarningsToStderr(logging.INFO))
        logger.setLevel(logging.INFO)
        logger.propagate = False


@click.group(cls=HubGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="CONTACTHUB_CONFIG",
    help="Config file to use (default: the user config folder, or $CONTACTHUB_HOME/config.toml).",
)
@click.version_option(__version__, prog_name="contacthub")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Keep a small business's contacts in one database and in step with one contact folder.

    Start with `contacthub init`, add or import contacts, then see
    `contacthub COMMAND --help`. Set CONTACTHUB_HOME to keep all state in one folder.
    """
    _setup_logging()
    ctx.obj = Hub(config_file)


def _register() -> None:
    from contacthub.cli import (
        auth_cmd,
        connectors_cmd,
        contact_cmd,
        db_cmd,
        init_cmd,
        serve_cmd,
        sync_cmd,
        transfer_cmd,
        types_cmd,
    )

    cli.add_command(init_cmd.init)
    cli.add_command(contact_cmd.contact)
    cli.add_command(types_cmd.type_group)
    cli.add_command(transfer_cmd.import_command)
    cli.add_command(transfer_cmd.export_command)
    cli.add_command(db_cmd.db)
    cli.add_command(connectors_cmd.connectors)
    cli.add_command(sync_cmd.sync)
    cli.add_command(sync_cmd.target_group)
    cli.add_command(sync_cmd.adopt_command)
    cli.add_command(auth_cmd.auth)
    cli.add_command(serve_cmd.serve)
    cli.add_command(serve_cmd.demo)


_register()


def main() -> None:
    """Entry point of the `contacthub` console script."""
    cli(prog_name="contacthub")
