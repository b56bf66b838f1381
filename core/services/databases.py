"""Business databases: list, create, switch (with the target's copies of the one left kept, deleted or imported)."""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.errors import ConfigError, UsageError

SYNCED_CHOICES = ("keep", "delete", "import")


def display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@dataclass
class DatabaseInfo:
    name: str
    url: str  # password hidden
    current: bool


def list_databases(hub) -> list[DatabaseInfo]:
    config = hub.config
    entries = sorted(config.databases.values(), key=lambda e: e.name)
    return [DatabaseInfo(e.name, display_url(e.url), e.name == config.current_database) for e in entries]


def create(hub, name: str, url: str | None = None, schema: str | None = None, password_env: str | None = None,
           switch: bool = False, dry_run: bool = False):  # fmt: skip
    """Add a database to the config, created and migrated; its DatabaseEntry.

    A password inside `url` goes to the keyring, never to the config file.
    """
    from contacthub.config import DatabaseEntry
    from contacthub.secrets import move_password_out_of_url

    config = hub.config
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError("a database name is letters, digits, - and _")
    if name in config.databases:
        raise ConfigError(f"a database named '{name}' already exists ({display_url(config.databases[name].url)})")
    entry = DatabaseEntry(name, url or hub.paths.default_database_url(name), schema=schema)
    if schema is not None and not entry.url.startswith("postgresql"):
        raise UsageError("--schema is for PostgreSQL databases only (SQLite has no schemas)")
    if password_env:
        entry.password = {"env": password_env}
    if dry_run:
        return entry
    move_password_out_of_url(entry)
    config.databases[name] = entry
    hub.database(name)  # creates and migrates it; fails before the config is saved
    if switch:
        config.current_database = name
    config.save()
    return entry


def copies_left(hub, name: str) -> int:
    """How many synced copies of the current database the target holds (asked about before a switch to `name`)."""
    from contacthub.sync.lifecycle import copies_of
    from contacthub.sync.target import sync_settings

    settings = sync_settings(hub.config)
    if settings is None or name == hub.config.current_database:
        return 0
    connector = hub.open_target(settings.target)
    try:
        return len(copies_of(connector, hub.database().id))
    finally:
        connector.close()


@dataclass
class Switch:
    previous: str
    current: str
    synced: str | None  # what was done with the copies of the database left (None: there were none)
    handled: int = 0  # copies deleted or imported
    problems: list[str] | None = None
    result: object = None  # the pass after the switch (sync on, `then_pass`), a PassResult
    count: int = 0  # copies of the database left that the target held
    outcome: object = None  # what deleting or importing them did (sync.lifecycle), or None
    settings: object = None  # the sync settings (None: sync is off)


def switch(hub, name: str, synced: str | None = None, dry_run: bool = False, choose=None, then_pass: bool = True) -> Switch:
    """Make `name` current (W1, W2). With sync on, the target's copies of the database left are kept,
    deleted or imported into `name` (`synced`; when there are copies and it is None, `choose(count,
    target)` answers, or the switch is refused), then a pass runs unless `then_pass` is False (the CLI
    runs its own, printed pass)."""
    from contacthub.sync.lifecycle import copies_of, import_copies, remove_copies
    from contacthub.sync.lock import pass_lock
    from contacthub.sync.target import sync_settings

    config = hub.config
    config.database(name)  # unknown name: one clear line
    previous = config.current_database
    if name == previous:
        return Switch(previous, name, None)
    if synced is not None and synced not in SYNCED_CHOICES:
        raise UsageError(f"synced: one of {', '.join(SYNCED_CHOICES)}")
    settings = sync_settings(config)
    new_db = hub.database(name)  # it must open before it becomes current
    done = Switch(previous, name, None, settings=settings)
    if settings is not None:
        previous_db = hub.database(previous)
        connector = hub.open_target(settings.target)
        try:
            done.count = count = len(copies_of(connector, previous_db.id))
            if count and synced is None:
                if choose is None:
                    copies = "1 synced copy" if count == 1 else f"{count:,} synced copies"
                    raise ConfigError(
                        f"{settings.target} holds {copies} of the database being left: choose keep, delete or import"
                    )
                synced = choose(count, settings.target)
            if count and synced != "keep":
                with pass_lock(new_db, settings.target.key, hub.paths.data_dir):
                    if synced == "delete":
                        outcome = remove_copies(previous_db, connector, settings.target.key, dry_run=dry_run)
                    else:
                        outcome = import_copies(previous_db, new_db, connector, settings, dry_run=dry_run)
                done.outcome = outcome
                done.handled, done.problems = outcome.count, list(outcome.problems)
            done.synced = synced if count else None
        finally:
            connector.close()
    if dry_run:
        return done
    config.current_database = name
    config.save()
    if settings is not None and then_pass:
        from contacthub.services.sync import run_pass

        done.result = run_pass(hub, settings)
    return done
