"""`sync watch`: a pass every N seconds, and at once when the target announces a change (S8)."""

from __future__ import annotations

import logging
import signal
import threading

from contacthub.errors import ContactHubError

log = logging.getLogger("contacthub.watch")


def watch(hub, settings, interval: float, run_pass, stop: threading.Event | None = None) -> None:
    """Run passes until SIGTERM/SIGINT (or `stop` is set). A failed pass is logged; the next one still comes."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    changed = threading.Event()
    notifier = _notifier(hub, settings, changed)
    try:
        while not stop.is_set():
            changed.clear()  # before the pass: a change announced during it starts the next one at once
            try:
                run_pass()
            except ContactHubError as exc:
                log.warning("pass failed: %s", exc)
            _wait(stop, changed, interval)
    finally:
        if notifier is not None:
            notifier.close()


def _wait(stop: threading.Event, changed: threading.Event, interval: float) -> None:
    """Sleep until the interval ends, a change is announced, or we are asked to stop."""
    waited = 0.0
    while waited < interval and not stop.is_set() and not changed.is_set():
        stop.wait(min(0.2, interval - waited))
        waited += 0.2


def _notifier(hub, settings, changed: threading.Event):
    """The target's change notifications where it has them (capabilities.push), else None."""
    connector = hub.open_target(settings.target)
    if not connector.capabilities.push or not hasattr(connector, "notify"):
        connector.close()
        return None
    connector.notify(changed.set)
    return connector
