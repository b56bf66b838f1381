"""`contacthub scheduler`: queue one pass per due target, at each interval and at once after a database edit.

A target is due when it is not paused, not backing off, has no pass queued
(enqueued_at is empty, or older than STALE: a lost message), and either its
interval has passed since its last pass or the database changed since the pass
was queued (meta.seq, bumped by every record change, is past enqueued_seq).

Claiming is one transaction: the due rows are locked with SELECT … FOR UPDATE
SKIP LOCKED, their passes are sent to the broker, and enqueued_at/enqueued_seq
are set. Two schedulers at once cannot both claim a row: the second skips the
rows the first holds, and once the first commits they are no longer due (queued,
and enqueued_seq already covers that change). Sending before the commit means a
scheduler dying in between at worst queues a pass twice (harmless: the engine's
pass lock lets one run at a time), never loses one.

It wakes on the database change signal (store/change_signal.py: the NOTIFY on
`contacthub_changes` that every commit changing records sends, S15) and looks
anyway every `poll` seconds, so edits from writers that do not notify arrive too.
Targets whose connector announces its changes (a vcf folder) are watched
(watchers.py) and claimed at once when they do.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import or_, select

from contacthub.errors import ContactHubError
from contacthub.store.change_signal import ChangeSignal
from contacthub.store.schema import FleetTargetRow, Meta, utcnow

log = logging.getLogger("contacthub.fleet")

DEFAULT_INTERVAL = 300.0
DEFAULT_POLL = 5.0
STALE = timedelta(minutes=30)  # a claim this old lost its message (a broker restarted without persistence)


def claim_due(db, interval: float, send, announced=frozenset()) -> list[str]:
    """Queue a pass for every due target (`send(name)`); returns their names.

    `announced`: targets that announced a change (watchers.py): due now, whatever their interval."""
    now = utcnow()
    with db.transaction() as tx:
        seq = tx.session.scalars(select(Meta.seq).where(Meta.id == 1)).one()
        row = FleetTargetRow
        due = (
            select(row)
            .where(
                row.paused.is_(False),
                or_(row.backoff_until.is_(None), row.backoff_until <= now),
                or_(row.enqueued_at.is_(None), row.enqueued_at < now - STALE),
                or_(
                    row.last_pass_at.is_(None),
                    row.last_pass_at <= now - timedelta(seconds=interval),
                    row.enqueued_seq.is_(None),
                    row.enqueued_seq < seq,
                    row.name.in_(sorted(announced)),
                ),
            )
            .order_by(row.last_pass_at.asc().nulls_first())
        )
        if tx.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = list(tx.session.scalars(due))
        for target in rows:
            send(target.name)
            target.enqueued_at, target.enqueued_seq = now, seq
        return [r.name for r in rows]


def run_scheduler(db, send, interval: float = DEFAULT_INTERVAL, poll: float = DEFAULT_POLL,
                  stop: threading.Event | None = None, cache_dir=None) -> None:  # fmt: skip
    """Claim due targets until `stop` is set; wake at once on NOTIFY (PostgreSQL only).

    With `cache_dir`, targets that announce their changes are watched and claimed when they do."""
    if db.engine.dialect.name != "postgresql":
        raise ContactHubError("the fleet scheduler needs a PostgreSQL business database (see `contacthub db create --url`)")
    stop = stop or threading.Event()
    from contacthub.fleet.watchers import Watchers

    signal = ChangeSignal(db)  # S15's NOTIFY: every commit that changes records sends it
    watchers = Watchers(db, cache_dir) if cache_dir is not None else None
    try:
        while not stop.is_set():
            announced = set()
            try:
                if watchers is not None:
                    watchers.refresh()
                    announced = watchers.take()
                signal.mark()  # before the claim reads meta.seq: a change after it wakes the next round
                names = claim_due(db, interval, send, announced)
                if names:
                    log.info("queued %d pass%s", len(names), "" if len(names) == 1 else "es")
            except ContactHubError as exc:
                log.warning("could not queue passes: %s", exc)
            _sleep(signal, stop, min(poll, interval), watchers.wake if watchers is not None else None)
    finally:
        signal.close()
        if watchers is not None:
            watchers.close()


def _sleep(signal: ChangeSignal, stop: threading.Event, seconds: float, wake: threading.Event | None = None) -> None:
    """Until a change is announced (database or a watched target), `seconds` pass, or we are asked to stop."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if wake is not None and wake.is_set():
            return
        if signal.wait(min(left, 0.5 if wake is not None else 1.0)):
            return
