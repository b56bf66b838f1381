"""What every command shares: where state lives, the config, the current database."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from contacthub.config import Config, Paths, database_url, load_config

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


class Hub:
    """Opens the config and the current database lazily, once per command."""

    def __init__(self, config_file: str | None = None) -> None:
        self.paths = Paths.discover(config_file)
        self._databases: dict[str, Database] = {}
        self.verbose = False  # -v: one line per request batch a pass sends, every failed write

    @cached_property
    def config(self) -> Config:
        return load_config(self.paths)

    def database(self, name: str | None = None) -> Database:
        """The named (default: current) business database, created and migrated if new."""
        entry = self.config.database(name)
        if entry.name not in self._databases:
            with no_gc_while_loading():
                from contacthub.store import open_database

                self._databases[entry.name] = open_database(database_url(entry), schema=entry.schema)
        return self._databases[entry.name]

    def close(self) -> None:
        """Close the databases this command opened (at its end): SQLite then folds its WAL file back
        into the database file, so that file alone holds every commit while no contacthub runs, and a
        copy of it is a whole backup (~1.5 ms at the end of a no-change `sync run`)."""
        for database in self._databases.values():
            database.dispose()
        self._databases.clear()

    def loading(self):
        """The pause services.sync.run_pass loads the engine under (no_gc_while_loading)."""
        return no_gc_while_loading()

    def open_target(self, target):
        """The target's connector, opened through the plugin manager."""
        with no_gc_while_loading():
            from contacthub.sync.target import open_connector

            connector = open_connector(target, self.paths.cache_dir)
        if self.verbose:
            from contacthub.cli.verbose import LoggedConnector

            connector = LoggedConnector(connector, str(target))
        return connector
