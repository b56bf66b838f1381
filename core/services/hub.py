"""Where state lives for a face that is not the CLI: the config and the databases, opened lazily.

The CLI's `Hub` (contacthub.cli.context) is one, with its own load-time tweaks;
the services only need `paths`, `config`, `database(name)` and `open_target(target)`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from contacthub.config import Config, Paths, database_url, load_config

if TYPE_CHECKING:
    from contacthub.store import Database


class Workspace:
    def __init__(self, config_file: str | None = None) -> None:
        self.paths = Paths.discover(config_file)
        self._databases: dict[str, Database] = {}
        self.verbose = False

    @cached_property
    def config(self) -> Config:
        return load_config(self.paths)

    def reload(self) -> None:
        """Read the config file again (another process may have changed it)."""
        self.__dict__.pop("config", None)

    def database(self, name: str | None = None) -> Database:
        """The named (default: current) business database, created and migrated if new."""
        from contacthub.store import open_database

        entry = self.config.database(name)
        if entry.name not in self._databases:
            self._databases[entry.name] = open_database(database_url(entry), schema=entry.schema)
        return self._databases[entry.name]

    def open_target(self, target):
        from contacthub.sync.target import open_connector

        return open_connector(target, self.paths.cache_dir)

    def close(self) -> None:
        """Close the databases opened here (when a command or a server ends): SQLite then folds its WAL
        file back into the database file, so that file alone holds every commit while no contacthub runs
        and a copy of it is a whole backup (~1.5 ms at the end of a no-change `sync run`)."""
        for database in self._databases.values():
            database.dispose()
        self._databases.clear()
