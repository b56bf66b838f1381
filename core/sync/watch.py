"""`sync watch`: a pass every N seconds, and at once when the target announces a change (S8)."""

from __future__ import annotations

import logging
import signal
import threading

from contacthub.errors import ContactHubError
from contacthub.sync.lock import Busy
from contacthub.sync.target import check_interval

log = logging.getLogger("contacthub.watch")

BUSY_RETRY = 1.0  # seconds between looks at the lock while another pass holds it


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
    try:
        if connector.capabilities.push and hasattr(connector, "notify"):
            connector.notify(changed.set)
        waiting = False
        while not stop.is_set():
            changed.clear()  # before the pass: a change announced during it starts the next one at once
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
            _wait(stop, changed, interval)
    finally:
        connector.close()


def _wait(stop: threading.Event, changed: threading.Event, interval: float) -> None:
    """Sleep until the interval ends, a change is announced, or we are asked to stop."""
    waited = 0.0
    while waited < interval and not stop.is_set() and not changed.is_set():
        stop.wait(min(0.2, interval - waited))
        waited += 0.2
