"""`sync watch`: a pass every N seconds, at once when the target announces a change (S8),
and at once when a record changes in the database, from any process or machine (S15)."""

from __future__ import annotations

import logging
import signal
import threading
import time

from contacthub.errors import ContactHubError
from contacthub.sync.lock import Busy
from contacthub.sync.target import check_interval

log = logging.getLogger("contacthub.watch")

BUSY_RETRY = 1.0  # seconds between looks at the lock while another pass holds it
SETTLE = 0.3  # seconds a database change waits for the rest of its burst (ten quick edits: one pass)
LOOK = 0.5  # seconds the database signal waits at a time, so stop and target changes are seen quickly


def watch(hub, settings, interval: float, run_pass, stop: threading.Event | None = None) -> None:
    """Run passes until SIGTERM/SIGINT (or `stop` is set). A failed pass is logged; the next one still comes.

    One connector serves every pass (`run_pass(connector=...)`): what it learnt
    (the address book's URL, the HTTP session, its marker cache) stays warm, so a
    pass that finds nothing costs little more than the target's own answer.
    While another pass (a `sync run`, another machine) holds the target, watch
    says so once and looks again every second, quietly, until it can pass.
    """
    interval = check_interval(interval, "the interval")  # 0, negative or NaN would spin the CPU
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    changed = threading.Event()
    connector = hub.open_target(settings.target)
    records = _database_signal(hub)
    try:
        if connector.capabilities.push and hasattr(connector, "notify"):
            connector.notify(changed.set)
        waiting = False
        while not stop.is_set():
            changed.clear()  # before the pass: a change announced during it starts the next one at once
            if records is not None:
                _mark(records)  # likewise for the database: what the pass reads is "seen"
            try:
                run_pass(connector=connector)
            except Busy:
                if not waiting:
                    log.info("waiting for another pass on %s to finish …", settings.target)
                    waiting = True
                stop.wait(BUSY_RETRY)
                continue
            except ContactHubError as exc:
                log.warning("pass failed: %s", exc)
            waiting = False
            _wait(stop, changed, interval, records)
    finally:
        connector.close()
        if records is not None:
            records.close()


def _database_signal(hub):
    """The database's change signal (S15), or None (then only the interval and the target wake us)."""
    from contacthub.store.change_signal import ChangeSignal

    try:
        return ChangeSignal(hub.database())
    except Exception as exc:  # a database that cannot be read now: the passes will say why
        log.warning("database changes are picked up at the interval only: %s", str(exc).splitlines()[0])
        return None


def _mark(records) -> None:
    try:
        records.mark()
    except Exception:  # the pass meets the same failure and reports it; the next wait() then says "changed"
        log.debug("database change signal: mark failed", exc_info=True)


def _wait(stop: threading.Event, changed: threading.Event, interval: float, records=None) -> None:
    """Sleep until the interval ends, a change is announced or made in the database, or we are asked to stop.

    A pass's own record writes (a phone's edit brought in) signal once: the
    pass after it changes no record, so watch then rests (no loop of passes).
    """
    end = time.monotonic() + interval
    while not stop.is_set() and not changed.is_set() and (left := end - time.monotonic()) > 0:
        if records is None:
            stop.wait(min(0.2, left))
        elif records.wait(min(LOOK, left)):
            stop.wait(SETTLE)  # let the rest of a burst of edits land: one pass for all of them
            return
