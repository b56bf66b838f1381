"""What `-v` and `--debug` add to the output: the requests a pass sends, the libraries' logs.

`-v` wraps the opened connector so each call the engine makes (one request batch:
a listing, a fetch of up to `batch_size` items, a create/update/delete batch) is
one stderr line, whatever the connector's protocol. `--debug` lets the libraries'
loggers (urllib3/niquests HTTP lines, exchangelib, SQLAlchemy) through as well,
with credentials masked (U3).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import click

log = logging.getLogger("contacthub.requests")


def _verbose(ctx: click.Context, _param, value: bool) -> bool:
    """`contacthub -v sync run` and `contacthub sync run -v` mean the same: one switch, on the Hub."""
    from contacthub.cli.context import Hub

    hub = ctx.find_object(Hub)
    if hub is None:
        return value
    hub.verbose = hub.verbose or value
    return hub.verbose


VERBOSE = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    callback=_verbose,
    help="Print one line per request batch sent to the target and every write that failed "
    "(not only the summary line); the same as `contacthub -v`.",
)

# Header values and key=value pairs a library may log; the value is masked, the name kept.
_CREDENTIAL = re.compile(
    r"""(?i)((?:authorization|proxy-authorization|password|passwd|secret|access_token|refresh_token|client_secret|cookie)"""
    r"""['"]?\s*[:=]\s*['"]?)(?:(?:basic|bearer|ntlm|negotiate)\s+)?[^'"\s,;}&]+"""
)


def mask_credentials(text: str) -> str:
    """`text` with every credential-looking value replaced by ***."""
    return _CREDENTIAL.sub(r"\1***", text)


class _MaskCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_credentials(record.getMessage())
        record.args = None
        return True


def log_libraries():
    """--debug: every library logger at DEBUG on stderr, one line each, credentials masked.

    Returns what undoes it (the command's end calls it), so a process that runs
    several commands (tests, `sync watch` in one interpreter) does not keep it.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    mask = _MaskCredentials()
    handler.addFilter(mask)
    root = logging.getLogger()
    msal = logging.getLogger("msal")
    levels = root.level, msal.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # msal's DEBUG lines hold token request and cache details; its INFO lines are enough.
    msal.setLevel(logging.INFO)
    ours = logging.getLogger("contacthub").handlers
    for each in ours:
        each.addFilter(mask)

    def undo() -> None:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        msal.setLevel(levels[1])
        for each in ours:
            each.removeFilter(mask)

    return undo


class LoggedConnector:
    """A connector whose calls are logged, one line per request batch (-v)."""

    def __init__(self, connector: Any, where: str) -> None:
        self._connector = connector
        self._where = where

    def __getattr__(self, name: str) -> Any:  # name, capabilities, prefetch, notify … as they are
        found = getattr(self._connector, name)  # AttributeError for what the connector lacks
        return self._seed if name == "seed" else found

    def _say(self, what: str) -> None:
        log.info("→ %s: %s", self._where, what)

    def check(self) -> None:
        self._say("check the connection")
        return self._connector.check()

    def list(self):
        self._say("list every item")
        return self._connector.list()

    def changes(self, token: str):
        self._say("changes since the last pass" if token else "changes (first listing)")
        return self._connector.changes(token)

    def fetch(self, ids: Iterable[str]):
        ids = list(ids)
        self._say(f"fetch {_count(ids)}")
        return self._connector.fetch(ids)

    def create(self, items):
        return self._write("create", items)

    def update(self, items):
        return self._write("update", items)

    def delete(self, items):
        return self._write("delete", items)

    def _seed(self, items):
        items = list(items)
        self._say(f"fill the empty folder with {_count(items)} in one request")
        return self._connector.seed(items)

    def _write(self, verb: str, items):
        items = list(items)
        self._say(f"{verb} {_count(items)}")
        return getattr(self._connector, verb)(items)


def _count(items: list) -> str:
    from contacthub.cli.output import plural

    return plural(len(items), "item")
