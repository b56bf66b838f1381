"""What every command shares: where state lives, the config, the current database."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from contacthub.services.hub import Workspace

if TYPE_CHECKING:
    from contacthub.store import Database


@contextmanager
def no_gc_while_loading() -> Iterator[None]:
    """Keep the cyclic garbage collector off the heavy libraries while and after they load.

    Importing SQLAlchemy, caldav and their kin (and opening the database and the
    connector) makes a few 10^5 objects that live as long as the process:
    modules, classes, functions, SQLAlchemy's tables and caches. The collector
    walks them again and again while they are being made, and at every full
    collection later, and never finds anything to free: ~150 ms of a
    no-change `contacthub sync run` (5,000 cards; gc.callbacks). So the
    collector is paused while loading, and when the block loaded new modules
    what it made is frozen (gc.freeze: left out of every later collection;
    reference counting still frees it). A block that loads nothing (the second
    pass of `sync watch`) freezes nothing, so no later garbage is ever frozen.
    """
    if not gc.isenabled():  # an outer block pauses and freezes
        yield
        return
    modules = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules:
            gc.freeze()
        gc.enable()


class Hub(Workspace):
    """Opens the config and the current database lazily, once per command (closed at its end);
    `verbose` (-v): one line per request batch a pass sends, every failed write."""

    def database(self, name: str | None = None) -> Database:
        """The named (default: current) business database, created and migrated if new."""
        with no_gc_while_loading():
            return super().database(name)

    def loading(self):
        """The pause services.sync.run_pass loads the engine under (no_gc_while_loading)."""
        return no_gc_while_loading()

    def open_target(self, target):
        """The target's connector, opened through the plugin manager."""
        with no_gc_while_loading():
            connector = super().open_target(target)
        if self.verbose:
            from contacthub.cli.verbose import LoggedConnector

            connector = LoggedConnector(connector, str(target))
        return connector
