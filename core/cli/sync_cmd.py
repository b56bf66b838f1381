"""`contacthub sync …`, `contacthub target list` and `contacthub adopt`."""

from __future__ import annotations

import sys

import click

from contacthub.cli.output import echo, plural, print_json, table, warn
from contacthub.cli.verbose import VERBOSE
from contacthub.errors import ConfigError, ContactHubError
from contacthub.sync.outcome import EXIT_CODES_HELP

DRY_RUN = click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")


CREATE = click.option("--create", is_flag=True, help="Make the target folder when it does not exist (default: refuse it).")


def _open_checked(hub, target, create: bool, dry_run: bool):
    """The new target's connector, checked (services.sync.open_checked); None after --create --dry-run."""
    from contacthub.services.sync import open_checked

    return open_checked(hub, target, create, dry_run, say=echo)


def _settings(hub):
    from contacthub.sync.target import sync_settings

    settings = sync_settings(hub.config)
    if settings is None:
        raise ConfigError("sync is not started: run `contacthub sync start TARGET` first")
    return settings


class FilterWarnings:
    """T3: a [sync] filter no business contact has is said at every `sync run`, and in
    `sync watch` / `serve --sync` once while it stays so, not at every pass (it is said
    again if it matched in between and then stopped matching)."""

    def __init__(self) -> None:
        self._said: set[str] = set()

    def check(self, hub, settings) -> None:
        if not settings.filters and not self._said:
            return  # no filter: the database (SQLAlchemy, ~0.1 s to load) waits until the target's head start is sent
        from contacthub.sync.filter_check import unmatched_filter_warnings

        unmatched = unmatched_filter_warnings(hub.database(), settings.filters)
        for wanted, problem in unmatched.items():
            if wanted not in self._said:
                warn(problem)
        self._said = set(unmatched)

    def passes(self, hub, settings, run_pass):
        """`run_pass` (a watch loop's pass) with this check before each pass."""

        def checked(**kw):
            self.check(hub, settings)
            return run_pass(**kw)

        return checked


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


def one_pass(hub, settings, *, dry_run=False, force=False, wait=False, quiet=False, verbose=False, connector=None):
    """Run one pass and print what it did (or would do); returns the PassResult (its `exit_code`: U4).

    With `connector` (sync watch's, kept open between passes) that one is used and left open.
    A pass whose target failed as a whole mid-way is a result too (partly done), not an error.
    """
    # The engine (and SQLAlchemy) loads after the target's head start is sent: services.sync.run_pass.
    from contacthub.services.sync import run_pass

    progress = _Progress()
    try:
        result = run_pass(
            hub, settings, dry_run=dry_run, force=force, wait=wait, progress=None if quiet else progress, connector=connector
        )
    finally:
        progress.stop()
    if dry_run:
        _print_plan(result.plan)
    elif not quiet or result.report.changed_anything or result.report.problems or result.exit_code:
        _print_report(settings, result.report, verbose)
    return result


def exit_with(result) -> None:
    """End the command with the pass's exit code (U4) when it is not 0."""
    if result.exit_code:
        click.get_current_context().exit(result.exit_code)


def _print_plan(plan) -> None:
    """A dry run's plan: one row per action, labelled (what it would do, which side it writes)."""
    if not plan.actions and not plan.problems:
        echo("Nothing to do.")
    rows = []
    for action in plan.actions:
        sides = [side for side, writes in (("target", action.writes_target), ("database", action.writes_database)) if writes]
        if sides:
            rows.append([action.kind, " + ".join(sides), action.name])
    if rows:
        table(f"The pass would make {plural(len(rows), 'change')}", ["Action", "Writes to", "Record"], rows)
    for problem in plan.problems:
        warn(problem)


MAX_NOTES = 10  # per-item notes printed without --verbose; the rest are counted


def _print_report(settings, report, verbose: bool = False) -> None:
    """One line of what was done; failed writes as one summary line (each with --verbose); notes."""
    from contacthub.sync.outcome import summary_line

    done = ", ".join(f"{n} {kind}" for kind, n in sorted(report.done.items()) if n) or "no changes"
    echo(f"Synced with {settings.target}: {done}")
    for line in report.conflicts:
        echo(f"Conflict: {line}")
    failed = {f.line for f in report.failures}
    lines = report.problems if verbose else [p for p in report.problems if p not in failed]
    for problem in lines if verbose else lines[:MAX_NOTES]:
        warn(problem)
    if len(lines) > MAX_NOTES and not verbose:
        warn(f"… and {len(lines) - MAX_NOTES} more (--verbose shows them all)")
    summary = summary_line(report, str(settings.target))
    if summary:
        echo(summary, err=True)


@click.group()
def sync() -> None:
    """Keep the business contacts in step with one target, both ways.

    A target is CONNECTOR:LOCATION (e.g. vcf:~/Phone/Business) or the name of a
    [targets.NAME] table in the config file. See `contacthub connectors`.
    """


@sync.command("start", epilog=EXIT_CODES_HELP)
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
@VERBOSE
@click.pass_obj
def start(
    hub, target: str, category: str, filters: tuple[str, ...], conflict: str, create: bool, dry_run: bool, verbose: bool
) -> None:
    """Start syncing to TARGET: copies every selected business contact there.

    A folder that does not exist is refused (a typo must not become a new,
    empty folder) unless --create is given. A --filter category that no
    business contact has is named in a warning.
    """
    from contacthub.services import sync as service

    settings = service.new_settings(hub, target, category, filters, conflict)
    connector = _open_checked(hub, settings.target, create, dry_run)  # the pass uses it (one discovery)
    for problem in service.unmatched_filters(hub, filters):
        warn(problem)
    if connector is None:
        return
    try:
        if not dry_run:
            service.save(hub, settings)
        result = one_pass(hub, settings, dry_run=dry_run, verbose=verbose, connector=connector)
    finally:
        connector.close()
    exit_with(result)


@sync.command("run", epilog=EXIT_CODES_HELP)
@DRY_RUN
@click.option("--force", is_flag=True, help="Go on even when the pass would delete many copies or the target looks empty.")
@click.option("--wait", is_flag=True, help="Wait for a pass already running on this target instead of exiting.")
@VERBOSE
@click.pass_obj
def run(hub, dry_run: bool, force: bool, wait: bool, verbose: bool) -> None:
    """Run one pass, both ways. --dry-run lists the actions per side.

    Writes that fail are summed up in one line (the first reasons; every one
    with --verbose) and kept for `contacthub sync status`; the next pass
    retries them.
    """
    settings = _settings(hub)
    FilterWarnings().check(hub, settings)  # a filter edited into the config by hand is checked too
    exit_with(one_pass(hub, settings, dry_run=dry_run, force=force, wait=wait, verbose=verbose))


def _interval(ctx, param, value):
    """--interval: a number of seconds above 0 (0, negative or NaN would spin the CPU)."""
    from contacthub.sync.target import check_interval

    if value is None:
        return None
    try:
        return check_interval(value, "--interval")
    except ContactHubError as exc:
        raise click.BadParameter(str(exc).removeprefix("--interval ")) from None


@sync.command("watch")
@click.option("--interval", metavar="SECONDS", callback=_interval, help="Seconds between passes, above 0 (default: [sync] interval, or 60).")
@VERBOSE
@click.pass_obj
def watch_command(hub, interval: float | None, verbose: bool) -> None:
    """Keep syncing until stopped (Ctrl-C or SIGTERM end it cleanly).

    A record edited in the database (by any process or machine) starts a
    pass within about a second; so does a change on targets that announce
    changes (a .vcf folder, the address book of `contacthub serve`). The connection to
    the target stays open between passes, so a pass that finds nothing costs
    little more than the target's answer. One line is logged per pass that did
    something; a pass whose writes failed logs one summary line (and is kept
    for `sync status`), and the next pass retries. While another pass holds
    the target, watch says so once and waits.

    Exit codes: 0 when stopped by Ctrl-C or SIGTERM (whatever the last pass
    did: see `sync status`); 1 when it cannot start (sync not started, the
    target cannot be opened); 2 for a bad --interval or [sync] interval.
    """
    from contacthub.sync.watch import watch

    settings = _settings(hub)
    run_pass = lambda **kw: one_pass(hub, settings, quiet=True, verbose=verbose, **kw)  # noqa: E731
    watch(hub, settings, interval or settings.interval, FilterWarnings().passes(hub, settings, run_pass))


SHOWN_FAILURES = 5  # failed writes `sync status` lists without --verbose


@sync.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@VERBOSE
@click.pass_obj
def status(hub, as_json: bool, verbose: bool) -> None:
    """The target, counts, last pass and its outcome, pending changes and conflicts.

    The outcome is one of: done; partly done (some writes failed, listed here;
    the next pass retries them); error (nothing changed); stopped by the safety
    check (run `sync run --force` if the removals are wanted). In --json it is
    last_pass.outcome: done, partly-done, error or stopped.
    """
    from contacthub.sync.outcome import describe
    from contacthub.sync.status import sync_status, value_text

    info = sync_status(hub.database(), _settings(hub))
    if as_json:
        print_json(info)
        return
    for label, key in (
        ("Target", "target"), ("Database", "database"), ("Records to sync", "selected"),
        ("Synced copies", "synced"), ("Pending changes", "pending"), ("Last pass", "last_pass_at"),
    ):  # fmt: skip
        echo(f"{label + ':':<17}{info[key] if info[key] is not None else 'never'}")
    last = info["last_pass"]
    if last:
        echo(f"{'Last result:':<17}{describe(last)}")
        failures = last.get("failures", [])
        for what, why in failures if verbose else failures[:SHOWN_FAILURES]:
            echo(f"  failed: {what}: {why}")
        hidden = last.get("failed", 0) - (len(failures) if verbose else min(len(failures), SHOWN_FAILURES))
        if hidden > 0:
            more = " (--verbose lists more)" if not verbose and len(failures) > SHOWN_FAILURES else ""
            echo(f"  … and {hidden:,} more{more}")
    if info["conflicts"]:
        rows = [
            [c["at"][:19], c["record"], c["field"], value_text(c["database"]), value_text(c["target"]), c["winner"]]
            for c in info["conflicts"]
        ]
        table("Recent conflicts", ["When", "Record", "Field", "Database had", "Target had", "Kept"], rows)


@sync.command("change", epilog=EXIT_CODES_HELP)
@click.argument("target")
@CREATE
@DRY_RUN
@VERBOSE
@click.pass_obj
def change(hub, target: str, create: bool, dry_run: bool, verbose: bool) -> None:
    """Switch to another target: copies leave the old one, and go to the new one (C2)."""
    from contacthub.services import sync as service

    old = _settings(hub)
    new = service.changed_settings(hub, target)
    checked = _open_checked(hub, new.target, create, dry_run)
    if checked is not None:
        checked.close()
    removed = _remove_copies(hub, old, dry_run, verbose)
    if not dry_run:
        service.save(hub, new)
    FilterWarnings().check(hub, new)  # the filter goes along to the new target
    if checked is None:
        return
    result = one_pass(hub, new, dry_run=dry_run, verbose=verbose)
    exit_with(result if result.exit_code else removed)


def _remove_copies(hub, settings, dry_run: bool, verbose: bool):
    """Remove this database's copies from the target; the outcome (its `exit_code`: 3 when some stayed)."""
    from contacthub.services.sync import remove_copies

    outcome = remove_copies(hub, settings, dry_run)
    echo(f"{'Would remove' if dry_run else 'Removed'} {plural(outcome.count, 'synced copy', 'synced copies')} from {settings.target}")
    print_problems(outcome, f"could not be removed from {settings.target}", verbose)
    return outcome


def print_problems(outcome, what: str, verbose: bool) -> None:
    """A lifecycle step's problems: one summary line ("3 copies WHAT"), or each with --verbose."""
    if not outcome.problems:
        return
    if verbose:
        for problem in outcome.problems:
            warn(problem)
    first = "; ".join(outcome.problems[:3]) + ("; …" if len(outcome.problems) > 3 else "")
    count = len(outcome.problems)
    keep = "it keeps its marker" if count == 1 else "they keep their marker"
    echo(f"sync: {plural(count, 'copy')} {what} (first: {first}); {keep}", err=True)


@sync.command("stop", epilog=EXIT_CODES_HELP)
@DRY_RUN
@VERBOSE
@click.pass_obj
def stop(hub, dry_run: bool, verbose: bool) -> None:
    """Stop syncing: removes every synced copy of this database from the target (C1).

    Plain contacts in the target and the records in the database are untouched.
    Copies that could not be removed keep their marker: `sync start` and `sync
    stop` again remove them (exit code 3 says some stayed).
    """
    from contacthub.services import sync as service

    outcome = _remove_copies(hub, _settings(hub), dry_run, verbose)
    if not dry_run:
        service.save(hub, None)
    exit_with(outcome)


@sync.command("purge-deleted")
@DRY_RUN
@click.pass_obj
def purge_deleted(hub, dry_run: bool) -> None:
    """Remove for good the records that went to Deleted Items because their copy was deleted in the target (W3)."""
    from contacthub.sync.lifecycle import purge_deleted_by_target

    count = purge_deleted_by_target(hub.database(), dry_run=dry_run)
    echo(f"{'Would purge' if dry_run else 'Purged'} {plural(count, 'record')} deleted from the target")


@click.group("target")
def target_group() -> None:
    """What is in the sync target."""


@target_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def target_list(hub, as_json: bool) -> None:
    """List the target's contacts: synced copies of this database, of other databases, and plain contacts."""
    from contacthub.services.sync import target_contacts

    settings = _settings(hub)
    rows = [vars(r) for r in target_contacts(hub)]
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
    """Take a plain contact of the target into the database (A1–A3).

    REMOTE_ID is the id `target list` shows, the contact's URL, or its file name alone.
    """
    from contacthub.services.sync import adopt

    record, synced = adopt(hub, remote_id, type_name, move, dry_run=dry_run)
    how = "moved" if move else "copied"
    after = "it is synced" if synced else "it is not synced"
    echo(f"{'Would have ' + how if dry_run else how.capitalize()} {remote_id} into {record.type.name} {record.id[:8]}; {after}")
