"""Sync: the settings, status, one pass, conflicts and "use the other value", the target's contacts, adopt.

`hub` is anything with `paths`, `config`, `database()` and `open_target()`
(the CLI's Hub, services.hub.Workspace).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from contacthub.errors import ConfigError, NotFoundError


def settings_or_none(hub):
    from contacthub.sync.target import sync_settings

    return sync_settings(hub.config)


def settings(hub):
    found = settings_or_none(hub)
    if found is None:
        raise ConfigError("sync is not started: run `contacthub sync start TARGET` first")
    return found


def status(hub) -> dict[str, Any]:
    """What `sync status` shows (sync.status.sync_status), with a readable outcome line."""
    from contacthub.sync.outcome import describe
    from contacthub.sync.status import sync_status

    info = sync_status(hub.database(), settings(hub))
    info["outcome"] = describe(info["last_pass"]) if info["last_pass"] else None
    return info


def run_pass(hub, sync_settings=None, *, dry_run=False, force=False, wait=False, progress=None, connector=None):
    """One pass both ways; the PassResult (report, plan, exit_code). A pass stopped mid-way is a result too.

    With `connector` (kept open by a caller between passes) that one is used and left open.
    """
    sync_settings = sync_settings or settings(hub)
    own = connector is None
    connector = hub.open_target(sync_settings.target) if own else connector
    if own and hasattr(connector, "prefetch"):
        connector.prefetch()  # the target works on its answer while the engine and database load
    try:
        # Only now: the engine brings SQLAlchemy (~0.2 s of imports), which the head start overlaps.
        with getattr(hub, "loading", nullcontext)():
            from contacthub.sync.apply import SyncAborted
            from contacthub.sync.engine import run_pass as engine_pass
        try:
            return engine_pass(
                hub.database(), sync_settings, connector, lock_dir=hub.paths.data_dir, dry_run=dry_run, force=force,
                wait=wait, progress=progress,
            )  # fmt: skip
        except SyncAborted as exc:
            if exc.result is None:
                raise
            return exc.result
    finally:
        if own:
            connector.close()


@dataclass
class Conflict:
    id: int
    at: str
    record_id: str
    record: str
    field: str
    database: Any  # the value the database had
    target: Any  # the value the target had
    winner: str  # sync.merge.DATABASE or TARGET: whose value was kept

    @property
    def other(self) -> Any:
        """The value that lost: "use the other value" puts it into the record."""
        from contacthub.sync.merge import DATABASE

        return self.target if self.winner == DATABASE else self.database


def conflicts(hub, limit: int = 20) -> list[Conflict]:
    """The most recent conflicts of the current target, newest last."""
    from contacthub.sync.state import TargetState

    db = hub.database()
    with db.transaction(readonly=True) as tx:
        state = TargetState.get(tx.session, settings(hub).target.key)
        if state is None:
            return []
        rows = state.conflicts()[-limit:]
        names = {r.id: r.contact.best_name() for r in tx.records.get_many(c.record_id for c in rows).values()}
        return [
            Conflict(c.id, c.at.isoformat(), c.record_id, names.get(c.record_id, c.record_id[:8]), c.field, c.local, c.remote, c.winner)
            for c in rows
        ]


def use_other_value(hub, conflict_id: int):
    """Settle a conflict the other way: the value that lost goes into the record (a new version);
    the next pass carries it to the target. Returns records.EditOutcome."""
    from contacthub.model import Contact
    from contacthub.services.records import EditOutcome

    found = [c for c in conflicts(hub, limit=10**6) if c.id == conflict_id]
    if not found:
        raise NotFoundError(f"no conflict {conflict_id}")
    conflict = found[0]
    with hub.database().transaction() as tx:
        record = tx.records.get(conflict.record_id)
        data = record.contact.to_dict()
        if conflict.field not in data:
            raise NotFoundError(f"field {conflict.field} is not a contact field")
        data[conflict.field] = conflict.other
        updated = tx.records.update(record.id, Contact.from_dict(data), source="user", note=f"conflict {conflict.id}: other value")
    return EditOutcome(record, updated, [])


@dataclass
class TargetContact:
    remote_id: str
    kind: str  # synced | other database | plain
    record: str
    name: str


def target_contacts(hub) -> list[TargetContact]:
    """The target's contacts: synced copies of this database, of other databases, and plain contacts."""
    from contacthub.sync.plan import fetch_all

    sync_settings = settings(hub)
    database_id = hub.database().id
    connector = hub.open_target(sync_settings.target)
    try:
        refs = list(connector.list())
        items = fetch_all(connector, [r.remote_id for r in refs])
    finally:
        connector.close()
    rows = []
    for ref in refs:
        item = items.get(ref.remote_id)
        if ref.marker is None:
            kind, record = "plain", ""
        elif ref.marker.database_id == database_id:
            kind, record = "synced", ref.marker.record_id
        else:
            kind, record = "other database", ref.marker.record_id
        rows.append(TargetContact(ref.remote_id, kind, record, item.contact.best_name() if item else ""))
    rows.sort(key=lambda r: (r.kind, r.name.casefold()))
    return rows


def adopt(hub, remote_id: str, type_name: str, move: bool = False, dry_run: bool = False):
    """Take a plain contact of the target into the database; (record, synced)."""
    from contacthub.sync.adopt import adopt as adopt_contact

    sync_settings = settings(hub)
    connector = hub.open_target(sync_settings.target)
    try:
        return adopt_contact(hub.database(), connector, sync_settings, remote_id, type_name, move, hub.paths.data_dir, dry_run=dry_run)
    finally:
        connector.close()


# Start / change / stop: the rules both `contacthub sync …` and the web's sync page follow.


def open_checked(hub, target, create: bool = False, dry_run: bool = False, say=lambda message: None):
    """The new target's connector, opened and checked (the caller closes it).

    A missing folder is refused (a typo must not become a new, empty folder)
    unless `create` (the connector's `create` option); with create and dry_run it
    is not made: None, after `say`ing so.
    """
    import dataclasses

    from contacthub.connector import NotFound

    if create and not dry_run:
        target = dataclasses.replace(target, options={**target.options, "create": True})
    connector = hub.open_target(target)
    try:
        connector.check()
    except NotFound as exc:
        connector.close()
        from contacthub.plugins import connector_info

        if "create" not in connector_info(target.connector).options:
            raise
        if create and dry_run:
            say(f"Would make the missing folder ({exc}) and copy every selected business contact there")
            return None
        if create:
            raise
        raise NotFound(f"{exc}; give --create to make it") from None
    except BaseException:
        connector.close()
        raise
    return connector


def new_settings(hub, target: str, category: str = "", filters=(), conflict: str = "database-wins"):
    """The settings `sync start TARGET` would save; refused while sync runs with a target already."""
    from contacthub.sync.target import SyncSettings, parse_target

    current = settings_or_none(hub)
    if current is not None:
        raise ConfigError(f"sync already runs with {current.target}: use `contacthub sync change {target}`")
    return SyncSettings(parse_target(target, hub.config), category=category, filters=tuple(filters), conflict=conflict)


def unmatched_filters(hub, filters) -> list[str]:
    """T3: a --filter category that no business contact has, as warnings."""
    from contacthub.sync.filter_check import unmatched_filters as check

    return list(check(hub.database(), filters))


def save(hub, sync_settings) -> None:
    """Keep the sync settings (None: sync stopped) in the config file."""
    from contacthub.sync.target import save_sync_settings

    save_sync_settings(hub.config, sync_settings)


def changed_settings(hub, target: str):
    """The current settings moved to TARGET (category, filter and policy go along)."""
    import dataclasses

    from contacthub.sync.target import parse_target

    return dataclasses.replace(settings(hub), target=parse_target(target, hub.config))


def remove_copies(hub, sync_settings, dry_run: bool = False):
    """C1: remove this database's copies from the target (plain contacts stay); the lifecycle
    outcome (`count`, `problems`, `exit_code`: 3 when some stayed and keep their marker)."""
    from contacthub.sync.lifecycle import remove_copies as remove
    from contacthub.sync.lock import pass_lock

    database = hub.database()
    connector = hub.open_target(sync_settings.target)
    try:
        with pass_lock(database, sync_settings.target.key, hub.paths.data_dir):
            return remove(database, connector, sync_settings.target.key, dry_run=dry_run)
    finally:
        connector.close()


def stop(hub, dry_run: bool = False):
    """C1: stop syncing: the copies leave the target, the settings go; the removal's outcome."""
    outcome = remove_copies(hub, settings(hub), dry_run)
    if not dry_run:
        save(hub, None)
    return outcome
