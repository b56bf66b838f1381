"""The fleet's targets in the business database: add, import, list, pause, remove.

Each fleet target keeps its own sync state (links, watermarks, pass lock, cache
folder) under the key `fleet:NAME`, not `CONNECTOR:LOCATION`: 500 Microsoft 365
mailboxes share the location "Contacts" and differ only by their `mailbox`
option, so the single-user key would make them one target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from contacthub.errors import NotFoundError, UsageError
from contacthub.fleet.spec import TargetSpec
from contacthub.store.schema import FleetTargetRow, SyncTargetRow
from contacthub.sync.target import SyncSettings, Target

FLEET_KEY_PREFIX = "fleet:"


@dataclass(frozen=True)
class FleetTarget(Target):
    """A target of the fleet: its sync state is kept by its name."""

    @property
    def key(self) -> str:
        return FLEET_KEY_PREFIX + self.name


def settings_of(row: FleetTargetRow) -> SyncSettings:
    options = {**row.options, "location": row.location}
    return SyncSettings(FleetTarget(row.connector, options, name=row.name), category=row.category, filters=tuple(row.filters))


def _row(tx, name: str) -> FleetTargetRow:
    row = tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == name)).one_or_none()
    if row is None:
        raise NotFoundError(f"no fleet target named {name!r} (see `contacthub fleet list`)")
    return row


def _check_connector(connector: str) -> None:
    from contacthub.plugins import connector_info

    connector_info(connector)  # ConfigError naming the installed ones


def add_target(db, spec: TargetSpec) -> None:
    """A new target; a name already in the fleet is refused."""
    _check_connector(spec.connector)
    with db.transaction() as tx:
        taken = tx.session.scalars(select(FleetTargetRow.id).where(FleetTargetRow.name == spec.name)).first()
        if taken is not None:
            raise UsageError(f"the fleet already has a target named {spec.name!r}: remove it first, or use `fleet import`")
        tx.session.add(_new_row(spec))


def _new_row(spec: TargetSpec) -> FleetTargetRow:
    return FleetTargetRow(name=spec.name, connector=spec.connector, location=spec.location, filters=spec.filters,
                          category=spec.category, options=spec.options, paused=False, passes=0, failures=0)  # fmt: skip


def import_targets(db, specs: list[TargetSpec]) -> tuple[int, int, list[str]]:
    """Add new targets and update the ones already there (by name), in one transaction.

    Returns (added, updated, problems); a target whose connector is not installed is a problem, the rest go on.
    """
    from contacthub.errors import ConfigError

    added = updated = 0
    problems: list[str] = []
    with db.transaction() as tx:
        existing = {r.name: r for r in tx.session.scalars(select(FleetTargetRow))}
        for spec in specs:
            try:
                _check_connector(spec.connector)
            except ConfigError as exc:
                problems.append(f"target {spec.name}: {exc}")
                continue
            row = existing.get(spec.name)
            if row is None:
                row = existing[spec.name] = _new_row(spec)
                tx.session.add(row)
                added += 1
            else:
                row.connector, row.location, row.filters = spec.connector, spec.location, spec.filters
                row.category, row.options = spec.category, spec.options
                updated += 1
    return added, updated, problems


def list_targets(db) -> list[FleetTargetRow]:
    with db.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(FleetTargetRow).order_by(FleetTargetRow.name)))


def set_paused(db, names: list[str], paused: bool) -> int:
    """Pause or resume the named targets; resuming also ends a backoff. Returns how many changed."""
    changed = 0
    with db.transaction() as tx:
        for name in names:
            row = _row(tx, name)
            changed += row.paused != paused
            row.paused = paused
            if not paused:
                row.backoff_until = None
    return changed


def remove_target(db, name: str, cache_root: Path, lock_dir: Path, dry_run: bool = False, keep_copies: bool = False):
    """C1 for one fleet target: its synced copies leave the target, then the target leaves the fleet.

    Returns the lifecycle Outcome (None with keep_copies). The row stays when some
    copies could not be removed (they keep their marker), so removing again goes on.
    """
    from contacthub.sync.lifecycle import Outcome, remove_copies
    from contacthub.sync.lock import pass_lock
    from contacthub.sync.target import open_connector

    with db.transaction(readonly=True) as tx:
        settings = settings_of(_row(tx, name))
    outcome = Outcome()
    if not keep_copies:
        connector = open_connector(settings.target, cache_root)
        try:
            with pass_lock(db, settings.target.key, lock_dir):
                outcome = remove_copies(db, connector, settings.target.key, dry_run=dry_run)
        finally:
            connector.close()
    if dry_run or outcome.problems:
        return outcome
    with db.transaction() as tx:
        tx.session.execute(delete(FleetTargetRow).where(FleetTargetRow.name == name))
        tx.session.execute(delete(SyncTargetRow).where(SyncTargetRow.key == settings.target.key))  # links go with it
    return outcome
