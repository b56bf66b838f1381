"""The `contacthub` command: a thin click layer over the core.

Heavy libraries (SQLAlchemy, vobject, rich) are imported inside the commands
that use them, so `contacthub --help` starts fast; and a command's module is
only imported when that command runs (or help lists it), so `contacthub sync run`
does not pay for the other commands.
"""

from __future__ import annotations

import importlib
import logging

import click

from contacthub import __version__
from contacthub.cli.context import Hub
from contacthub.errors import ContactHubError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Command name -> (module in contacthub.cli, attribute): imported on first use.
COMMANDS = {
    "init": ("init_cmd", "init"),
    "contact": ("contact_cmd", "contact"),
    "type": ("types_cmd", "type_group"),
    "import": ("transfer_cmd", "import_command"),
    "export": ("transfer_cmd", "export_command"),
    "db": ("db_cmd", "db"),
    "connectors": ("connectors_cmd", "connectors"),
    "sync": ("sync_cmd", "sync"),
    "target": ("sync_cmd", "target_group"),
    "adopt": ("sync_cmd", "adopt_command"),
    "auth": ("auth_cmd", "auth"),
    "serve": ("serve_cmd", "serve"),
    "demo": ("serve_cmd", "demo"),
}


class HubGroup(click.Group):
    """Loads each command when it is asked for; turns expected failures into
    click's one-line "Error: …" and exit 1, with no traceback."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in COMMANDS:
                self._load(cmd_name)
            else:
                # An unknown name: load them all so "Did you mean …?" can name any of them.
                for name in COMMANDS:
                    self._load(name)
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def _load(self, name: str) -> None:
        if name not in self.commands:
            module, attribute = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(f"contacthub.cli.{module}"), attribute), name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ContactHubError as exc:
            failure = click.ClickException(str(exc))
            failure.exit_code = getattr(exc, "exit_code", 1)  # a config that breaks its schema: 2 (usage)
            raise failure from None
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


def main() -> None:
    """Entry point of the `contacthub` console script."""
    cli(prog_name="contacthub")
