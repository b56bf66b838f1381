"""The sync target and its options, read from the config, and opening its connector.

In the config file:

    [sync]
    target = "phone"            # a [targets.NAME] table, or CONNECTOR:LOCATION
    category = "Business"       # T3: label added to every synced copy (optional)
    filter = ["Customers"]      # T3: only records with one of these categories (default: all)
    conflict = "database-wins"  # S10: or "target-wins", "newest-wins"
    interval = 60               # S8: seconds between passes of `sync watch`
    max_delete_share = 0.5      # a pass deleting more than this share of the copies asks for --force

    [targets.phone]
    connector = "vcf"
    location = "~/Phone/Business"
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contacthub.config import Config, resolve_secret
from contacthub.config_schema import CONFLICT_POLICIES as POLICIES
from contacthub.config_schema import check_target_options
from contacthub.connector import Connector, ConnectorContext
from contacthub.errors import ConfigError, UsageError
from contacthub.private import private_dir

if TYPE_CHECKING:
    from contacthub.model import Record

DEFAULT_INTERVAL = 60
DEFAULT_MAX_DELETE_SHARE = 0.5


@dataclass(frozen=True)
class Target:
    """One connector on one folder: what `sync start` was given."""

    connector: str
    options: dict[str, Any]
    name: str = ""  # the [targets.NAME] it came from, if any

    @property
    def key(self) -> str:
        """The target's identity, the same however it was written (sync state is kept per key)."""
        return f"{self.connector}:{self.options.get('location', '')}"

    def __str__(self) -> str:
        return self.name or self.key


@dataclass(frozen=True)
class SyncSettings:
    target: Target
    category: str = ""
    filters: tuple[str, ...] = ()
    conflict: str = "database-wins"
    interval: float = DEFAULT_INTERVAL
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def selection_hash(self) -> str:
        """Changes when what is selected or how copies look changes (filter, category)."""
        text = json.dumps([self.category, sorted(f.casefold() for f in self.filters)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def selects(self, categories: list[str]) -> bool:
        """T3: no filter selects all; otherwise one category must match (case-insensitive)."""
        if not self.filters:
            return True
        wanted = {f.casefold() for f in self.filters}
        return any(c.casefold() in wanted for c in categories)


def qualifies(record: Record | None, settings: SyncSettings) -> bool:
    """A record is synced when it is a live business contact the filter selects (D1, T3, S9)."""
    return (
        record is not None
        and not record.is_deleted
        and record.type.is_business_contact
        and settings.selects(record.contact.categories)
    )


def _location(text: str) -> str:
    """Paths are made absolute so `vcf:./x` and `vcf:/abs/x` name one target; URLs stay as written."""
    if text.startswith(("~", ".", "/")):
        return str(Path(text).expanduser().resolve())
    return text


def parse_target(spec: str, config: Config) -> Target:
    """A [targets.NAME] name, or CONNECTOR:LOCATION."""
    tables = config.other.get("targets", {})
    if spec in tables:
        check_target_options(spec, tables[spec], config.paths.config_file)
        table = dict(tables[spec])
        connector = table.pop("connector", None)
        if not connector:
            raise ConfigError(f"[targets.{spec}] in {config.paths.config_file} needs a connector")
        if "location" in table:
            table["location"] = _location(str(table["location"]))
        return Target(str(connector), table, name=spec)
    connector, sep, location = spec.partition(":")
    if not sep or not connector or not location:
        known = ", ".join(sorted(tables)) or "none configured"
        raise ConfigError(f"unknown target {spec!r}: write CONNECTOR:LOCATION (e.g. vcf:~/Phone) or a target name ({known})")
    return Target(connector, {"location": _location(location)})


def sync_settings(config: Config) -> SyncSettings | None:
    """The [sync] table, or None when sync is not started."""
    table = config.other.get("sync")
    if not table or not table.get("target"):
        return None
    conflict = table.get("conflict", "database-wins")
    if conflict not in POLICIES:
        raise UsageError(f"[sync] conflict = {conflict!r} in {config.paths.config_file}: use one of {', '.join(POLICIES)}")
    filters = table.get("filter", [])
    if isinstance(filters, str):
        filters = [filters]
    return SyncSettings(
        target=parse_target(str(table["target"]), config),
        category=str(table.get("category", "")),
        filters=tuple(str(f) for f in filters),
        conflict=conflict,
        interval=check_interval(table.get("interval", DEFAULT_INTERVAL), f"[sync] interval in {config.paths.config_file}"),
        max_delete_share=_share(table.get("max_delete_share", DEFAULT_MAX_DELETE_SHARE), config),
    )


def check_interval(value: Any, where: str) -> float:
    """Seconds between passes: a number above 0. Zero, a negative number or NaN would spin the CPU."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not (seconds > 0 and math.isfinite(seconds)):
        raise UsageError(f"{where} must be a number of seconds above 0, not {value!r}")
    return seconds


def _share(value: Any, config: Config) -> float:
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = math.nan
    if isinstance(value, bool) or not 0 <= share <= 1:
        raise UsageError(f"[sync] max_delete_share in {config.paths.config_file} must be a number from 0 to 1, not {value!r}")
    return share


def save_sync_settings(config: Config, settings: SyncSettings | None) -> None:
    """Write (or with None, remove) the [sync] table."""
    if settings is None:
        config.other.pop("sync", None)
    else:
        table: dict[str, Any] = {"target": settings.target.name or settings.target.key}
        if settings.category:
            table["category"] = settings.category
        if settings.filters:
            table["filter"] = list(settings.filters)
        if settings.conflict != "database-wins":
            table["conflict"] = settings.conflict
        if settings.interval != DEFAULT_INTERVAL:
            table["interval"] = settings.interval
        if settings.max_delete_share != DEFAULT_MAX_DELETE_SHARE:
            table["max_delete_share"] = settings.max_delete_share
        config.other["sync"] = table
    config.save()


def connector_context(target: Target, cache_root: Path) -> ConnectorContext:
    """The target's private cache folder and secret resolver, the same for every use of the target."""
    cache_dir = cache_root / "targets" / hashlib.sha256(target.key.encode()).hexdigest()[:16]
    private_dir(cache_dir)  # U5: token caches and copies' markers, for the owner alone
    return ConnectorContext(cache_dir=cache_dir, secret=lambda ref: resolve_secret(ref, f"target {target}"))


def open_connector(target: Target, cache_root: Path) -> Connector:
    """Open the target's connector through the plugin manager (built-in or third-party alike)."""
    from contacthub.plugins import connector_info

    info = connector_info(target.connector)
    return info.factory(target.options, connector_context(target, cache_root))
