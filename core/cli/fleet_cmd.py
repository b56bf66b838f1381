"""`contacthub fleet …`, `contacthub worker` and `contacthub scheduler`: many targets, passes on Celery workers.

Celery is imported only inside `worker` and `scheduler` (the `fleet` extra);
`fleet add/list/status` need only the database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from contacthub.cli.output import echo, plural, print_json, table, warn
from contacthub.cli.verbose import VERBOSE
from contacthub.errors import ContactHubError

METRICS_PORT = click.option("--metrics-port", type=click.IntRange(1, 65535), metavar="PORT",
                            help="Serve Prometheus metrics on http://HOST:PORT/metrics (HOST: --metrics-host).")  # fmt: skip
# Loopback unless asked: the labels name every target, so a scrape from elsewhere is an explicit choice.
METRICS_HOST = click.option("--metrics-host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
                            help="Address the metrics listen on (0.0.0.0: every interface, for a Prometheus elsewhere).")  # fmt: skip
DRY_RUN = click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")


@click.group()
def fleet() -> None:
    """Many targets of one business database, synced by Celery workers (`contacthub worker`).

    Each target has its own filter, label and sync state. Secret options are
    kept as references (env:VAR, keyring:SERVICE:USER, file:PATH), resolved
    by the workers, never stored. `contacthub scheduler` queues the passes.
    """


@fleet.command("add")
@click.argument("name")
@click.argument("target")
@click.option("--filter", "filters", multiple=True, help="Only sync business contacts with this category (repeatable; default: all).")
@click.option("--category", default="", help="Label added to every synced copy in this target.")
@click.option("--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A connector option (repeatable); a secret one takes a reference: password=env:VAR.")  # fmt: skip
@DRY_RUN
@click.pass_obj
def add(hub, name: str, target: str, filters, category: str, options, dry_run: bool) -> None:
    """Add target NAME (CONNECTOR:LOCATION) to the fleet; its first pass copies the selected contacts (S1)."""
    from contacthub.fleet.spec import TargetSpec, parse_options, parse_target_text
    from contacthub.fleet.targets import add_target

    connector, location = parse_target_text(target)
    spec = TargetSpec(name, connector, location, list(filters), category, parse_options(connector, options))
    if dry_run:
        echo(f"Would add {name} ({connector}:{location}) to the fleet")
        return
    add_target(hub.database(), spec)
    echo(f"Added {name} ({connector}:{location}); `contacthub scheduler` queues its first pass")


@fleet.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@DRY_RUN
@click.pass_obj
def import_command(hub, file: Path, dry_run: bool) -> None:
    """Add or update many targets from FILE: TOML ([targets.NAME] tables) or CSV (name,connector,location,…).

    Other CSV columns / TOML keys are connector options (e.g. mailbox, client_id);
    filter takes several categories separated by ";". A target that cannot be
    read is named in one line; the rest are imported (exit 3 then).
    """
    from contacthub.fleet.spec import read_import_file
    from contacthub.fleet.targets import import_targets

    specs, problems = read_import_file(file)
    added = updated = 0
    if specs and not dry_run:
        added, updated, more = import_targets(hub.database(), specs)
        problems += more
    for problem in problems:
        warn(problem)
    verb = "Would import" if dry_run else "Imported"
    echo(f"{verb} {plural(len(specs) if dry_run else added + updated, 'target')} from {file}"
         + ("" if dry_run else f" ({added} new, {updated} updated)"))  # fmt: skip
    if problems:
        click.get_current_context().exit(3 if specs else 1)


@fleet.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_command(hub, as_json: bool) -> None:
    """The fleet's targets: connector and location, filter, label, options (secrets as references)."""
    from contacthub.fleet.targets import list_targets

    rows = [
        {"name": r.name, "connector": r.connector, "location": r.location, "filter": r.filters,
         "category": r.category or None, "options": r.options, "paused": r.paused}
        for r in list_targets(hub.database())
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table(f"{plural(len(rows), 'target')} in the fleet", ["Name", "Target", "Filter", "Label", "Paused"],
          [[r["name"], f"{r['connector']}:{r['location']}", ", ".join(r["filter"]) or "all", r["category"] or "",
            "yes" if r["paused"] else ""] for r in rows])  # fmt: skip


@fleet.command("remove")
@click.argument("name")
@click.option("--keep-copies", is_flag=True, help="Leave the synced copies in the target (still marked) instead of removing them.")
@DRY_RUN
@VERBOSE
@click.pass_obj
def remove(hub, name: str, keep_copies: bool, dry_run: bool, verbose: bool) -> None:
    """Stop syncing target NAME: its synced copies are removed from it (C1), then it leaves the fleet.

    Plain contacts in the target and the database's records are untouched.
    Copies that could not be removed keep their marker and NAME stays in the
    fleet (exit 3): run `fleet remove` again.
    """
    from contacthub.cli.sync_cmd import print_problems
    from contacthub.fleet.targets import remove_target

    outcome = remove_target(hub.database(), name, hub.paths.cache_dir, hub.paths.data_dir, dry_run=dry_run, keep_copies=keep_copies)
    if not keep_copies:
        echo(f"{'Would remove' if dry_run else 'Removed'} {plural(outcome.count, 'synced copy', 'synced copies')} from {name}")
        print_problems(outcome, f"could not be removed from {name}", verbose)
    if outcome.problems:
        click.get_current_context().exit(outcome.exit_code)
    echo(f"{'Would remove' if dry_run else 'Removed'} {name} from the fleet")


@fleet.command("pause")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def pause(hub, names) -> None:
    """Pause the named targets: the scheduler queues no pass for them until `fleet resume`."""
    from contacthub.fleet.targets import set_paused

    count = set_paused(hub.database(), list(names), True)
    echo(f"Paused {plural(count, 'target')}")


@fleet.command("resume")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def resume(hub, names) -> None:
    """Resume the named targets (a backoff after failures ends too)."""
    from contacthub.fleet.targets import set_paused

    count = set_paused(hub.database(), list(names), False)
    echo(f"Resumed {plural(count, 'target')}")


@fleet.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def status(hub, as_json: bool) -> None:
    """Per target: state, last pass and its outcome, lag since the last good pass, backoff.

    In --json: state (idle, queued, running, backing off, paused), outcome
    (done, partly-done, error, stopped), lag_seconds, changes_behind, failures
    (in a row), backoff_until, passes, running_on (host:pid of the worker).
    """
    from contacthub.fleet.status import fleet_status

    rows = fleet_status(hub.database())
    if as_json:
        print_json(rows)
        return
    table(f"{plural(len(rows), 'target')} in the fleet", ["Name", "State", "Last pass", "Outcome", "Lag", "Behind", "Backoff until"],
          [[r["name"], r["state"], (r["last_pass_at"] or "never")[:19], r["outcome"] or "",
            "" if r["lag_seconds"] is None else f"{r['lag_seconds']:.0f} s", str(r["changes_behind"]),
            (r["backoff_until"] or "")[:19]] for r in rows])  # fmt: skip


@click.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("-c", "--concurrency", type=click.IntRange(1), default=2, show_default=True, help="Passes run at once (processes).")
@METRICS_PORT
@METRICS_HOST
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def worker(hub, concurrency: int, metrics_port: int | None, metrics_host: str, celery_args) -> None:
    """Run a Celery worker for the fleet's passes (`celery -A contacthub.fleet.celery_app worker`).

    The broker is CONTACTHUB_BROKER (default redis://127.0.0.1:6379/0; RabbitMQ:
    amqp://USER:PASSWORD@HOST:5672//). Further arguments go to celery worker as
    they are (e.g. --loglevel=info, -n NAME@%h).

    --metrics-port: passes by outcome, failures, pass durations (summed over the
    pool processes, in PROMETHEUS_MULTIPROC_DIR, emptied at start; a temporary
    folder when unset), and lag per target and queue depth from the database.
    """
    _fleet_extra()
    if metrics_port:
        from contacthub.fleet.metrics import check_port, fresh_multiproc_dir

        _metrics_extra()
        check_port(metrics_port, metrics_host)
        fresh_multiproc_dir()  # in the environment before Celery starts: every pool process inherits it
        os.environ["CONTACTHUB_METRICS_PORT"] = str(metrics_port)
        os.environ["CONTACTHUB_METRICS_HOST"] = metrics_host
    if hub.paths.config_file:
        os.environ["CONTACTHUB_CONFIG"] = str(hub.paths.config_file)  # the pool processes read the same config
    argv = [sys.executable, "-m", "celery", "-A", "contacthub.fleet.celery_app", "worker",
            "--pool=prefork", f"--concurrency={concurrency}", *celery_args]  # fmt: skip
    sys.stdout.flush()
    os.execv(sys.executable, argv)


@click.command("scheduler")
@click.option("--interval", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds between two passes of a target.")
@click.option("--poll", type=click.FloatRange(min=0.1), default=5, show_default=True,
              help="Seconds between looks for due targets when no change is announced.")  # fmt: skip
@METRICS_PORT
@METRICS_HOST
@click.pass_obj
def scheduler(hub, interval: float, poll: float, metrics_port: int | None, metrics_host: str) -> None:
    """Queue one pass per due target each interval, and at once after a database edit (PostgreSQL NOTIFY)
    or a change a target announces (a .vcf folder).

    Several schedulers may run (for availability): a target's pass is claimed
    by one of them only. Stops cleanly on Ctrl-C or SIGTERM. --metrics-port:
    lag per target, failures in a row, queue depth, passes running (from the database).
    """
    import signal
    import threading

    _fleet_extra()
    from contacthub.fleet.scheduler import run_scheduler
    from contacthub.fleet.tasks import run_target_pass

    check_broker()
    if metrics_port:
        from contacthub.fleet.metrics import check_port, serve

        _metrics_extra()
        check_port(metrics_port, metrics_host)
        serve(metrics_port, hub.database, multiprocess=False, addr=metrics_host)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_scheduler(hub.database(), lambda name: run_target_pass.delay(name), interval=interval, poll=poll, stop=stop,
                  cache_dir=hub.paths.cache_dir)  # fmt: skip


def _fleet_extra() -> None:
    try:
        import celery  # noqa: F401
    except ImportError:
        raise ContactHubError("the fleet needs Celery: pip install 'contacthub[fleet]'") from None


def _metrics_extra() -> None:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise ContactHubError("--metrics-port needs prometheus_client: pip install 'contacthub[fleet]'") from None


def check_broker() -> None:
    """One clear line when the broker does not answer (its URL shown without the password)."""
    from contacthub.fleet.celery_app import app

    with app.connection_for_write() as conn:
        try:
            conn.ensure_connection(max_retries=1, timeout=5)
        except Exception as exc:  # noqa: BLE001 - kombu raises the transport's own errors
            raise ContactHubError(f"the broker at {conn.as_uri()} does not answer: {type(exc).__name__}: {exc}") from None
