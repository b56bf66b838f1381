"""`contacthub sync …`, `contacthub target list` and `contacthub adopt`."""

from __future__ import annotations

import sys

import click

from contacthub.cli.context import no_gc_while_loading
from contacthub.cli.output import print_json, table, warn
from contacthub.errors import ConfigError

DRY_RUN = click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")


CREATE = click.option("--create", is_flag=True, help="Make the target folder when it does not exist (default: refuse it).")


def _check_target(hub, target, create: bool, dry_run: bool) -> bool:
    """Check the new target; a missing folder is refused unless --create (the connector's `create` option).

    False when the folder is missing and --create --dry-run only says it would be made.
    """
    import dataclasses

    from contacthub.connector import NotFound

    if create and not dry_run:
        target = dataclasses.replace(target, options={**target.options, "create": True})
    connector = hub.open_target(target)
    try:
        connector.check()
    except NotFound as exc:
        from contacthub.plugins import load_plugins

        if "create" not in load_plugins().get(target.connector).options:
            raise
        if create and dry_run:
            click.echo(f"Would make the missing folder ({exc}) and copy every selected business contact there")
            return False
        if create:
            raise
        raise NotFound(f"{exc}; give --create to make it") from None
    finally:
        connector.close()
    return True


def _settings(hub):
    from contacthub.sync.target import sync_settings

    settings = sync_settings(hub.config)
    if settings is None:
        raise ConfigError("sync is not started: run `contacthub sync start TARGET` first")
    return settings


class _Progress:
    """A rich progress bar on a terminal; nothing when output is piped."""

    def __init__(self) -> None:
        self.bar = None

    def start(self, total: int) -> None:
        if total < 50 or not sys.stdout.isatty():
            return
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        self.task = self.bar.add_task("Syncing", total=total)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, n)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def one_pass(hub, settings, *, dry_run=False, force=False, wait=False, quiet=False, connector=None):
    """Run one pass and print what it did (or would do); returns the PassResult.

    With `connector` (sync watch's, kept open between passes) that one is used and left open.
    """
    own = connector is None
    connector = hub.open_target(settings.target) if own else connector
    if own and hasattr(connector, "prefetch"):
        connector.prefetch()  # the target works on its answer while the engine and database load
    with no_gc_while_loading():
        from contacthub.sync.engine import run_pass

    progress = _Progress()
    try:
        result = run_pass(
            hub.database(), settings, connector, lock_dir=hub.paths.data_dir, dry_run=dry_run, force=force,
            wait=wait, progress=None if quiet else progress,
        )  # fmt: skip
    finally:
        progress.stop()
        if own:
            connector.close()
    if dry_run:
        _print_plan(result.plan)
    elif not quiet or result.report.changed_anything or result.report.problems:
        _print_report(settings, result.report)
    return result


def _print_plan(plan) -> None:
    if not plan.actions and not plan.problems:
        click.echo("Nothing to do.")
    for action in plan.actions:
        sides = []
        if action.writes_target:
            sides.append("target")
        if action.writes_database:
            sides.append("database")
        if sides:
            click.echo(f"would {action.kind:<13} {' + '.join(sides):<17} {action.name}")
    for problem in plan.problems:
        warn(problem)


def _print_report(settings, report) -> None:
    done = ", ".join(f"{n} {kind}" for kind, n in sorted(report.done.items()) if n) or "no changes"
    click.echo(f"Synced with {settings.target}: {done}")
    for line in report.conflicts:
        click.echo(f"Conflict: {line}")
    for problem in report.problems:
        warn(problem)


@click.group()
def sync() -> None:
    """Keep the business contacts in step with one target, both ways.

    A target is CONNECTOR:LOCATION (e.g. vcf:~/Phone/Business) or the name of a
    [targets.NAME] table in the config file. See `contacthub connectors`.
    """


@sync.command("start")
@click.argument("target")
@click.option("--category", default="", help="Label added to every synced copy, to see them as a group in the target.")
@click.option("--filter", "filters", multiple=True, help="Only sync business contacts with this category (repeatable; default: all).")
@click.option(
    "--conflict",
    type=click.Choice(["database-wins", "target-wins", "newest-wins"]),
    default="database-wins",
    show_default=True,
    help="Who wins when the same field changed on both sides.",
)
@CREATE
@DRY_RUN
@click.pass_obj
def start(hub, target: str, category: str, filters: tuple[str, ...], conflict: str, create: bool, dry_run: bool) -> None:
    """Start syncing to TARGET: copies every selected business contact there.

    A folder that does not exist is refused (a typo must not become a new,
    empty folder) unless --create is given. A --filter category that no
    business contact has is named in a warning.
    """
    from contacthub.sync.filter_check import unmatched_filters
    from contacthub.sync.target import SyncSettings, parse_target, save_sync_settings, sync_settings

    current = sync_settings(hub.config)
    if current is not None:
        raise ConfigError(f"sync already runs with {current.target}: use `contacthub sync change {target}`")
    settings = SyncSettings(parse_target(target, hub.config), category=category, filters=filters, conflict=conflict)
    usable = _check_target(hub, settings.target, create, dry_run)
    for problem in unmatched_filters(hub.database(), filters):
        warn(problem)
    if not dry_run:
        save_sync_settings(hub.config, settings)
    if usable:
        one_pass(hub, settings, dry_run=dry_run)


@sync.command("run")
@DRY_RUN
@click.option("--force", is_flag=True, help="Go on even when the pass would delete many copies or the target looks empty.")
@click.option("--wait", is_flag=True, help="Wait for a pass already running on this target instead of exiting.")
@click.pass_obj
def run(hub, dry_run: bool, force: bool, wait: bool) -> None:
    """Run one pass, both ways. --dry-run lists the actions per side."""
    one_pass(hub, _settings(hub), dry_run=dry_run, force=force, wait=wait)


@sync.command("watch")
@click.option("--interval", type=float, help="Seconds between passes (default: [sync] interval, or 60).")
@click.pass_obj
def watch_command(hub, interval: float | None) -> None:
    """Keep syncing until stopped (Ctrl-C or SIGTERM end it cleanly).

    On targets that announce changes (a .vcf folder, the address book of
    `contacthub serve`) a pass starts at once after a change. The connection to
    the target stays open between passes, so a pass that finds nothing costs
    little more than the target's answer. One line is logged per pass that did
    something.
    """
    from contacthub.sync.watch import watch

    settings = _settings(hub)
    watch(hub, settings, interval or settings.interval, lambda **kw: one_pass(hub, settings, quiet=True, **kw))


@sync.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def status(hub, as_json: bool) -> None:
    """The target, counts, last pass, pending changes and conflicts."""
    from contacthub.sync.status import sync_status

    info = sync_status(hub.database(), _settings(hub))
    if as_json:
        print_json(info)
        return
    for label, key in (
        ("Target", "target"), ("Database", "database"), ("Records to sync", "selected"),
        ("Synced copies", "synced"), ("Pending changes", "pending"), ("Last pass", "last_pass_at"),
    ):  # fmt: skip
        click.echo(f"{label + ':':<17}{info[key] if info[key] is not None else 'never'}")
    if info["last_pass"]:
        last = info["last_pass"]
        done = ", ".join(f"{n} {kind}" for kind, n in sorted(last["done"].items())) or "no changes"
        click.echo(f"{'Last result:':<17}{done}; {last['problems']} problems, {last['conflicts']} conflicts")
    if info["conflicts"]:
        rows = [[c["at"][:19], c["record"], c["field"], c["winner"]] for c in info["conflicts"]]
        table("Recent conflicts", ["When", "Record", "Field", "Kept"], rows)


@sync.command("change")
@click.argument("target")
@CREATE
@DRY_RUN
@click.pass_obj
def change(hub, target: str, create: bool, dry_run: bool) -> None:
    """Switch to another target: copies leave the old one, and go to the new one (C2)."""
    import dataclasses

    from contacthub.sync.target import parse_target, save_sync_settings

    old = _settings(hub)
    new = dataclasses.replace(old, target=parse_target(target, hub.config))
    usable = _check_target(hub, new.target, create, dry_run)
    _remove_copies(hub, old, dry_run)
    if not dry_run:
        save_sync_settings(hub.config, new)
    if usable:
        one_pass(hub, new, dry_run=dry_run)


def _remove_copies(hub, settings, dry_run: bool) -> None:
    from contacthub.sync.lifecycle import remove_copies
    from contacthub.sync.lock import pass_lock

    database = hub.database()
    connector = hub.open_target(settings.target)
    try:
        with pass_lock(database, settings.target.key, hub.paths.data_dir):
            outcome = remove_copies(database, connector, settings.target.key, dry_run=dry_run)
    finally:
        connector.close()
    for problem in outcome.problems:
        warn(problem)
    click.echo(f"{'Would remove' if dry_run else 'Removed'} {outcome.count} synced copies from {settings.target}")


@sync.command("stop")
@DRY_RUN
@click.pass_obj
def stop(hub, dry_run: bool) -> None:
    """Stop syncing: removes every synced copy of this database from the target (C1).

    Plain contacts in the target and the records in the database are untouched.
    """
    from contacthub.sync.target import save_sync_settings

    _remove_copies(hub, _settings(hub), dry_run)
    if not dry_run:
        save_sync_settings(hub.config, None)


@sync.command("purge-deleted")
@DRY_RUN
@click.pass_obj
def purge_deleted(hub, dry_run: bool) -> None:
    """Remove for good the records that went to Deleted Items because their copy was deleted in the target (W3)."""
    from contacthub.sync.lifecycle import purge_deleted_by_target

    count = purge_deleted_by_target(hub.database(), dry_run=dry_run)
    click.echo(f"{'Would purge' if dry_run else 'Purged'} {count} record{'s' if count != 1 else ''} deleted from the target")


@click.group("target")
def target_group() -> None:
    """What is in the sync target."""


@target_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def target_list(hub, as_json: bool) -> None:
    """List the target's contacts: synced copies of this database, of other databases, and plain contacts."""
    from contacthub.sync.plan import fetch_all

    settings = _settings(hub)
    database_id = hub.database().id
    connector = hub.open_target(settings.target)
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
        rows.append({"remote_id": ref.remote_id, "kind": kind, "record": record, "name": item.contact.best_name() if item else ""})
    rows.sort(key=lambda r: (r["kind"], r["name"].casefold()))
    if as_json:
        print_json(rows)
        return
    table(f"{len(rows)} contacts in {settings.target}", ["Remote id", "Kind", "Name", "Record"], [[r["remote_id"], r["kind"], r["name"], r["record"][:8]] for r in rows])


@click.command("adopt")
@click.argument("remote_id")
@click.option("--as", "type_name", required=True, help="Record type of the new record (business-contact, account, or your own).")
@click.option("--move", is_flag=True, help="Move instead of copy: the plain contact becomes the synced copy, or is removed.")
@DRY_RUN
@click.pass_obj
def adopt_command(hub, remote_id: str, type_name: str, move: bool, dry_run: bool) -> None:
    """Take a plain contact of the target into the database (A1–A3). See `target list` for ids."""
    from contacthub.sync.lifecycle import adopt

    settings = _settings(hub)
    connector = hub.open_target(settings.target)
    try:
        record, synced = adopt(hub.database(), connector, settings, remote_id, type_name, move, dry_run=dry_run)
    finally:
        connector.close()
    how = "moved" if move else "copied"
    after = "it is synced" if synced else "it is not synced"
    click.echo(f"{'Would have ' + how if dry_run else how.capitalize()} {remote_id} into {record.type.name} {record.id[:8]}; {after}")
