"""The `contacthub` command: a thin click layer over the core.

Heavy libraries (SQLAlchemy, vobject, rich) are imported inside the commands
that use them, so `contacthub --help` starts fast; and a command's module is
only imported when that command runs (or help lists it), so `contacthub sync run`
does not pay for the other commands.
"""

from __future__ import annotations

import atexit
import errno
import importlib
import logging
import os
import re
import sys
import threading

import click

from contacthub import __version__
from contacthub.cli.context import Hub
from contacthub.cli.output import safe
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
    "fleet": ("fleet_cmd", "fleet"),
    "worker": ("fleet_cmd", "worker"),
    "scheduler": ("fleet_cmd", "scheduler"),
    "web": ("web_cmd", "web"),
}


class HubGroup(click.Group):
    """Loads each command when it is asked for; turns expected failures into
    click's one-line "Error: …" with the exit code the error carries (U4: 1 error, 2 usage,
    3 partly done, 4 stopped by a safety check), with no traceback."""

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
            command = getattr(importlib.import_module(f"contacthub.cli.{module}"), attribute)
            self.add_command(_without_spec_ids(command), name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _reader_went_away()
        except ContactHubError as exc:
            raise _failure(str(exc), exc.exit_code, newlines=getattr(exc, "one_line_each", False)) from None
        except OSError as exc:  # a path that cannot be read or written: name it
            if exc.errno == errno.EPIPE:
                _reader_went_away()
            where = f"{exc.filename}: " if exc.filename else ""
            raise _failure(f"{where}{exc.strerror or exc}", 1) from None


# "(A1–A3)", "(S1)", "(W1, W2)": the SPEC's behaviour IDs, kept in docstrings for the
# developers who trace a command to its spec, and taken out of what --help shows.
_SPEC_IDS = re.compile(r"\s*\((?:[A-Z]\d{1,2}(?:[–-][A-Z]?\d{1,2})?(?:,\s*)?)+\)")


def _without_spec_ids(command: click.Command) -> click.Command:
    """`command` and its subcommands with the SPEC IDs left out of their help texts."""
    for attribute in ("help", "short_help", "epilog"):
        text = getattr(command, attribute, None)
        if text:
            setattr(command, attribute, _SPEC_IDS.sub("", text))
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _SPEC_IDS.sub("", param.help)
    for sub in getattr(command, "commands", {}).values():
        _without_spec_ids(sub)
    return command


def _reader_went_away() -> None:
    """`contacthub contact list | head`: the reader has what it wanted and closed the pipe.

    Like `ls | head`, stop quietly: no "Error: Broken pipe", no traceback from the
    final flush (stdout now writes to /dev/null), and exit 0 rather than 1, because
    nothing went wrong for the pipeline (`set -o pipefail` scripts go on). Python turns
    SIGPIPE into this exception, so there is no 141 either.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(0)


def _failure(message: str, exit_code: int, newlines: bool = False) -> click.ClickException:
    """click's one "Error: …" line, with the exit code SPEC U4 gives the failure, made safe to print.

    `newlines`: an error listing several problems, one line each (a config that breaks its schema).
    """
    failure = click.ClickException(safe(message, newlines))
    failure.exit_code = exit_code
    return failure


class _WarningsToStderr(logging.Handler):
    """Warnings from the core and connectors (a skipped file, a failed pass in watch) as one stderr line each."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(prefix + safe(record.getMessage()), err=True)


def _setup_logging(ctx: click.Context, debug: bool = False) -> None:
    logger = logging.getLogger("contacthub")
    if not any(isinstance(h, _WarningsToStderr) for h in logger.handlers):
        logger.addHandler(_WarningsToStderr(logging.DEBUG))
        logger.propagate = False
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    if debug:
        from contacthub.cli.verbose import log_libraries

        undo = log_libraries()
        ctx.call_on_close(lambda: (undo(), logger.setLevel(logging.INFO)))


@click.group(cls=HubGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="CONTACTHUB_CONFIG",
    help="Config file to use (default: the user config folder, or $CONTACTHUB_HOME/config.toml).",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say more about what a sync pass does: one line per request batch it sends to the target, "
    "and every write that failed (the same as a sync command's own -v).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Also log the libraries' own messages (HTTP connections and requests, retries) to stderr; "
    "credentials in them are masked. Implies -v.",
)
@click.version_option(__version__, prog_name="contacthub")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: bool, debug: bool) -> None:
    """Keep a small business's contacts in one database and in step with one contact folder.

    Start with `contacthub init`, add or import contacts, then see
    `contacthub COMMAND --help`. Set CONTACTHUB_HOME to keep all state in one folder.
    """
    _setup_logging(ctx, debug)
    # U5: everything this process makes (databases and SQLite's side files, caches, plugins'
    # files, exports) is for the owner alone, whatever the user's umask; put back at the end.
    umask = os.umask(0o077)
    ctx.call_on_close(lambda: os.umask(umask))
    ctx.obj = Hub(config_file)
    ctx.call_on_close(ctx.obj.close)
    ctx.obj.verbose = verbose or debug
    ctx.obj.paths.make_private()


def main() -> None:
    """Entry point of the `contacthub` console script."""
    try:
        cli(prog_name="contacthub")
    except SystemExit as exc:
        try:
            sys.stdout.flush()  # what is still buffered meets a closed pipe here, not at exit
        except BrokenPipeError:
            _reader_went_away()
        _exit_without_teardown(exc.code)
        raise


def _exit_without_teardown(code: object) -> None:
    """End the process now, skipping the interpreter's teardown, when nothing is left to wait for.

    Tearing down the ~550 modules a sync pass loads (SQLAlchemy, niquests …) and
    collecting them one last time is ~15 ms of a 0.4 s no-change `sync run`,
    and frees nothing the OS would not. What exit still owes is done first: the
    atexit handlers (logging's flush, coverage's data …) and the standard
    streams. Every database write is committed by now; SQLite keeps its WAL
    file either way. A thread that is not a daemon (a command that left one
    working) gets the ordinary exit, which waits for it.
    """
    if not (code is None or isinstance(code, int)):
        return  # SystemExit("message"): Python's own exit prints it
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    atexit._run_exitfuncs()  # CPython's own exit runs them this way, before its teardown
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError):
            pass  # no stream, or its reader went away: nothing more can reach it (as _reader_went_away)
    os._exit(code or 0)
