"""The TOML config file, where state lives, and secret references.

Where things live: ``CONTACTHUB_HOME`` puts everything (config, databases,
caches) in one folder; otherwise the platform's user config/data/cache folders.
The config file can also be named with ``--config`` or ``CONTACTHUB_CONFIG``.

Secrets are never written in plain text: a secret option is a reference,
``{env = "VAR"}``, ``{keyring = "SERVICE", username = "NAME"}``, or
``{file = "PATH"}`` for a file only its owner can read (the embedded server's password).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contacthub.config_schema import validate_config
from contacthub.errors import ConfigError

APP = "contacthub"
DEFAULT_DATABASE = "default"


@dataclass(frozen=True)
class Paths:
    config_file: Path
    data_dir: Path
    cache_dir: Path

    @classmethod
    def discover(cls, config_file: str | os.PathLike[str] | None = None) -> Paths:
        home = os.environ.get("CONTACTHUB_HOME")
        if home:
            base = Path(home).expanduser()
            config_dir, data_dir, cache_dir = base, base / "data", base / "cache"
        else:
            import platformdirs  # only needed without CONTACTHUB_HOME

            config_dir = Path(platformdirs.user_config_dir(APP))
            data_dir = Path(platformdirs.user_data_dir(APP))
            cache_dir = Path(platformdirs.user_cache_dir(APP))
        chosen = config_file or os.environ.get("CONTACTHUB_CONFIG")
        return cls(
            config_file=Path(chosen).expanduser() if chosen else config_dir / "config.toml",
            data_dir=data_dir,
            cache_dir=cache_dir,
        )

    def make_private(self) -> None:
        """Data and cache files left readable by others (an older contacthub, a loose umask): owner-only now (U5).

        A few levels deep: databases and their side files, locks, each target's
        cache. `server/` is serve's own, kept owner-only by serve.
        """
        from contacthub.private import notice, tighten, tree

        notice(tighten([*tree(self.data_dir, 2, frozenset({"server"})), *tree(self.cache_dir, 3)]))

    def default_database_url(self, name: str) -> str:
        return f"sqlite:///{self.data_dir / 'databases' / f'{name}.sqlite'}"


@dataclass
class DatabaseEntry:
    name: str
    url: str
    password: Any = None  # a secret reference, never a plain value
    schema: str | None = None  # PostgreSQL: the schema its tables live in (default: contacthub)


@dataclass
class Config:
    """The config file's content. Unknown tables are kept so saving loses nothing."""

    paths: Paths
    current_database: str = DEFAULT_DATABASE
    databases: dict[str, DatabaseEntry] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.paths.config_file.exists()

    def __post_init__(self) -> None:
        if not self.databases:
            self.databases[DEFAULT_DATABASE] = DatabaseEntry(
                DEFAULT_DATABASE, self.paths.default_database_url(DEFAULT_DATABASE)
            )

    def database(self, name: str | None = None) -> DatabaseEntry:
        name = name or self.current_database
        if name in self.databases:
            return self.databases[name]
        known = ", ".join(sorted(self.databases)) or "none"
        raise ConfigError(f"unknown database '{name}' in {self.paths.config_file} (known: {known})")

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"current_database": self.current_database}
        data["databases"] = {}
        for entry in self.databases.values():
            table: dict[str, Any] = {"url": entry.url}
            if entry.password is not None:
                table["password"] = entry.password
            if entry.schema is not None:
                table["schema"] = entry.schema
            data["databases"][entry.name] = table
        data.update(self.other)
        return data

    def save(self) -> None:
        import tomli_w

        from contacthub.private import private_dir

        path = self.paths.config_file
        private_dir(path.parent)
        tmp = path.with_name(path.name + ".tmp")
        # 0600: the file names servers and accounts even though it holds no secret.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(self.to_toml(), handle)
        os.replace(tmp, path)


def load_config(paths: Paths) -> Config:
    """Read the config file; a missing file gives the defaults (one SQLite database)."""
    config = Config(paths=paths)
    if not paths.config_file.exists():
        return config
    try:
        data = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {paths.config_file}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {paths.config_file} is not valid TOML: {exc}") from None
    validate_config(data, paths.config_file)
    config.current_database = str(data.pop("current_database", DEFAULT_DATABASE))
    tables = data.pop("databases", {})
    if tables:
        config.databases.clear()
    for name, table in tables.items():
        if not isinstance(table, dict) or "url" not in table:
            raise ConfigError(f"config file {paths.config_file}: [databases.{name}] needs a url")
        schema = table.get("schema")
        if schema is not None and (not isinstance(schema, str) or not schema.strip()):
            raise ConfigError(f"config file {paths.config_file}: [databases.{name}] schema must be a non-empty string")
        config.databases[name] = DatabaseEntry(name, str(table["url"]), table.get("password"), schema)
    config.other = data
    return config


def resolve_secret(reference: Any, where: str) -> str:
    """The plain value of a secret reference; `where` names it in errors (never the value)."""
    if isinstance(reference, dict) and "env" in reference:
        value = os.environ.get(reference["env"])
        if value is None:
            raise ConfigError(f"{where}: environment variable {reference['env']} is not set")
        return value
    if isinstance(reference, dict) and "keyring" in reference:
        import keyring
        from keyring.errors import KeyringError

        try:
            value = keyring.get_password(reference["keyring"], reference.get("username", ""))
        except KeyringError as exc:
            raise ConfigError(f"{where}: keyring is not usable: {exc}") from None
        if value is None:
            raise ConfigError(
                f"{where}: no password in the keyring for service {reference['keyring']!r}, "
                f"user {reference.get('username', '')!r}"
            )
        return value
    if isinstance(reference, dict) and "file" in reference:
        return _file_secret(Path(str(reference["file"])).expanduser(), where)
    if isinstance(reference, str):
        return reference  # a plain value the user chose to write; accepted, never echoed
    raise ConfigError(
        f'{where}: a secret must be {{env = "VAR"}}, {{keyring = "SERVICE", username = "NAME"}} or {{file = "PATH"}}'
    )


def _file_secret(path: Path, where: str) -> str:
    """A secret kept in a file; refused unless it is the user's own and not readable by others."""
    try:
        info = path.stat()
        if os.name == "posix" and (info.st_mode & 0o077 or info.st_uid != os.getuid()):
            raise ConfigError(f"{where}: a secret must be in a file only you can read (chmod 600 {path})")
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read the secret file {path}: {getattr(exc, 'strerror', None) or exc}") from None


def database_url(entry: DatabaseEntry) -> str:
    """The entry's URL with its password filled in from the secret reference."""
    if entry.password is None:
        return entry.url
    from sqlalchemy.engine import make_url

    password = resolve_secret(entry.password, f"database '{entry.name}' password")
    return make_url(entry.url).set(password=password).render_as_string(hide_password=False)
