"""One pass of one fleet target, as a worker runs it: locks, the engine's pass, outcome, backoff.

Celery-free (tasks.py is the thin Celery face), so the rules read in one place:
- one pass per target at a time across all workers: the engine's own pass lock
  (a PostgreSQL advisory lock keyed by the target); when another pass holds it,
  this one is put off (`PutOff`) and tried again shortly, never run beside it;
- one pass per Microsoft mailbox at a time (limits.py), so the Graph client's
  4 requests in flight per connector are also 4 per mailbox across workers;
- at most CONTACTHUB_TENANT_PASSES passes at once per Microsoft 365 tenant (limits.py);
- a pass whose target fails counts a failure and backs off exponentially
  (30 s, 60 s, … up to an hour); the scheduler leaves it alone until then, and
  the worker is free for the other targets at once (no retry loop here);
- the claim the scheduler made (enqueued_at) is cleared when the pass ends, so
  an edit made during the pass is claimed again and reaches the target next.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy import select

from contacthub.errors import ContactHubError, SafetyStop
from contacthub.store.schema import FleetTargetRow, utcnow
from contacthub.sync.outcome import ERROR, PARTLY_DONE, STOPPED, pass_record

log = logging.getLogger("contacthub.fleet")

BACKOFF_BASE = 30.0  # seconds after the first failure; doubled after each further one
BACKOFF_MAX = 3600.0
GONE, PAUSED, BACKING_OFF = "gone", "paused", "backing-off"


class PutOff(Exception):
    """Another pass holds the target (or its mailbox): try again in `countdown` seconds."""

    def __init__(self, why: str, countdown: float = 2.0) -> None:
        super().__init__(why)
        self.countdown = countdown


def backoff_seconds(failures: int) -> float:
    base = float(os.environ.get("CONTACTHUB_FLEET_BACKOFF", BACKOFF_BASE))
    return min(base * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class FleetEnv:
    """The config, the business database and the folders a worker uses (from CONTACTHUB_HOME / CONTACTHUB_CONFIG)."""

    config_file: str | None = None

    @cached_property
    def paths(self):
        from contacthub.config import Paths

        return Paths.discover(self.config_file)

    @cached_property
    def db(self):
        from contacthub.config import database_url, load_config
        from contacthub.store import open_database

        entry = load_config(self.paths).database()
        return open_database(database_url(entry), schema=entry.schema)

    @property
    def cache_dir(self) -> Path:
        return self.paths.cache_dir

    @property
    def lock_dir(self) -> Path:
        return self.paths.data_dir


def run_target_pass(env: FleetEnv, name: str) -> str:
    """Run one pass of target `name`; returns its outcome (done, partly-done, error, stopped, or why none ran).

    Raises PutOff while another pass holds the target or its mailbox, or all its tenant's slots.
    """
    from contacthub.fleet import metrics
    from contacthub.fleet.limits import mailbox_lock, tenant_slot
    from contacthub.fleet.targets import settings_of
    from contacthub.sync.lock import Busy

    db = env.db
    with db.transaction() as tx:
        row = tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == name)).one_or_none()
        if row is None:
            metrics.pass_ended(GONE)
            return GONE  # removed after it was queued
        if row.paused:
            row.enqueued_at = None
            metrics.pass_ended(PAUSED)
            return PAUSED
        settings = settings_of(row)
    started = time.monotonic()
    try:
        with tenant_slot(db, settings.target, env.lock_dir), mailbox_lock(db, settings.target, env.lock_dir):
            outcome, summary = _pass(env, settings, _Running(db, name))
    except Busy as exc:  # the engine's pass lock (or the mailbox's) is held: nothing was done
        raise PutOff(str(exc)) from None
    failed = _finish(db, name, outcome, summary)
    metrics.pass_ended(outcome, failed, time.monotonic() - started)
    log.info("pass %s: %s%s", name, outcome, f" ({summary['message']})" if summary.get("message") else "")
    return outcome


def _pass(env: FleetEnv, settings, progress) -> tuple[str, dict]:
    """The engine's pass (as `sync run` runs it); a failure becomes an outcome, never an exception (but Busy)."""
    from contacthub.sync.apply import SyncAborted
    from contacthub.sync.engine import run_pass
    from contacthub.sync.lock import Busy
    from contacthub.sync.target import open_connector

    try:
        connector = open_connector(settings.target, env.cache_dir)
        try:
            result = run_pass(env.db, settings, connector, lock_dir=env.lock_dir, progress=progress)
        finally:
            connector.close()
    except Busy:
        raise
    except SyncAborted as exc:  # the target failed mid-way: what was done stays done
        if exc.result is None:
            return ERROR, pass_record(ERROR, message=str(exc))
        return PARTLY_DONE, pass_record(PARTLY_DONE, exc.result.report, exc.result.plan) | {"target_failed": True}
    except SafetyStop as exc:
        return STOPPED, pass_record(STOPPED, message=str(exc))
    except ContactHubError as exc:
        return ERROR, pass_record(ERROR, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - a connector's bug must not take the worker's other targets down
        log.exception("pass %s failed unexpectedly", settings.target)
        return ERROR, pass_record(ERROR, message=f"{type(exc).__name__}: {exc}")
    return result.outcome, pass_record(result.outcome, result.report, result.plan)


class _Running:
    """The engine's progress hook: once the pass holds its lock and has planned, `fleet status` names its worker."""

    def __init__(self, db, name: str) -> None:
        self.db, self.name = db, name

    def start(self, total: int) -> None:
        with self.db.transaction() as tx:
            row = tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == self.name)).one_or_none()
            if row is not None:
                row.running_on = worker_id()

    def advance(self, n: int) -> None:
        pass


def _finish(db, name: str, outcome: str, summary: dict) -> bool:
    """Keep how the pass ended; a failed target backs off; the claim ends (the scheduler may queue it again).

    Returns whether the target failed."""
    now = utcnow()
    failed = outcome in (ERROR, STOPPED) or summary.get("target_failed", False)
    with db.transaction() as tx:
        row = tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == name).with_for_update()).one_or_none()
        if row is None:
            return failed
        row.passes += 1
        row.last_pass_at, row.last_outcome, row.last_pass = now, outcome, summary
        row.enqueued_at = row.running_on = None
        if failed:
            row.failures += 1
            row.backoff_until = now + timedelta(seconds=backoff_seconds(row.failures))
        else:
            row.failures, row.backoff_until, row.last_ok_at = 0, None, now
    if failed:
        log.warning("pass %s: %s; backing off", name, summary.get("message") or outcome)
    return failed


def give_up(env: FleetEnv, name: str) -> None:
    """A put-off pass that could not run after many tries: drop the claim, the scheduler queues it again later."""
    with env.db.transaction() as tx:
        row = tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == name)).one_or_none()
        if row is not None:
            row.enqueued_at = None

