"""What every command shares: where state lives, the config, the current database."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from contacthub.config import Config, Paths, database_url, load_config

if TYPE_CHECKING:
    from contacthub.store import Database


class Hub:
    """Opens the config and the current database lazily, once per command."""

    def __init__(self, config_file: str | None = None) -> None:
        self.paths = Paths.discover(config_file)
        self._databases: dict[str, Database] = {}

    @cached_property
    def config(self) -> Config:
        return load_config(self.paths)

    def database(self, name: str | None = None) -> Database:
        """The named (default: current) business database, created and migrated if new."""
        from contacthub.store import open_database

        entry = self.config.database(name)
        if entry.name not in self._databases:
            self._databases[entry.name] = open_database(database_url(entry))
        return self._databases[entry.name]

    def open_target(self, target):
        """The target's connector, opened through the plugin manager."""
        from contacthub.sync.target import open_connector

        return open_connector(target, self.paths.cache_dir)
