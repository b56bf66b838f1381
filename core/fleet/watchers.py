"""The scheduler's watchers: targets that announce their changes (notify, as `sync watch` uses) get a pass at once.

Each target is opened once to learn whether it can announce (capabilities.push
and a notify() method, e.g. vcf's watchdog observer on its folder); the others
are closed at once, remembered, and wait for the interval. At most CONTACTHUB_FLEET_WATCHERS (default 64) are watched at once,
since each holds an observer thread. An announcement only marks the target: the
scheduler's own claim (claim_due) queues it, so two schedulers still never both
queue it. A pass writes into the folder too: what is announced while the
target's pass is queued or running, or up to OWN_WRITES after it ended, is taken
for the pass's own writes and dropped (an edit made during a pass after it read
the folder then waits for the interval). Targets added, paused or removed are picked up at each claim round.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import select

from contacthub.store.schema import FleetTargetRow, utcnow

log = logging.getLogger("contacthub.fleet")

DEFAULT_WATCHERS = 64
OWN_WRITES = timedelta(seconds=2)  # the observer's events of a pass's last writes may come just after it ended


class Watchers:
    """The notify watchers of a scheduler; `take()` returns the names announced since the last take."""

    def __init__(self, db, cache_dir: Path, wake: threading.Event | None = None) -> None:
        self.db, self.cache_dir = db, Path(cache_dir)
        self.wake = wake or threading.Event()
        self.limit = max(0, int(os.environ.get("CONTACTHUB_FLEET_WATCHERS", DEFAULT_WATCHERS)))
        self.open: dict[str, object] = {}
        self._announced: dict[str, object] = {}  # name -> when it last announced (UTC, as last_pass_at)
        self._lock = threading.Lock()
        self._warned = False
        self.quiet: set[str] = set()  # targets that cannot announce (or could not be opened): not opened again

    def refresh(self) -> None:
        """Watch the unpaused announcing targets (up to the limit); stop watching the removed or paused ones."""
        from contacthub.fleet.targets import settings_of
        from contacthub.sync.target import open_connector

        with self.db.transaction(readonly=True) as tx:
            rows = [settings_of(r) for r in tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.paused.is_(False)))]
        wanted = {s.target.name: s.target for s in rows}
        self.quiet &= set(wanted)
        for name in [n for n in self.open if n not in wanted]:
            self._close(name)
        for name, target in sorted(wanted.items()):
            if name in self.open or name in self.quiet:
                continue
            if len(self.open) >= self.limit:
                if not self._warned:
                    log.warning("more than %d targets announce changes; the others pass at the interval", self.limit)
                    self._warned = True
                break
            connector = None
            try:
                connector = open_connector(target, self.cache_dir)
                if not (connector.capabilities.push and hasattr(connector, "notify")):
                    self.quiet.add(name)
                    connector.close()
                    continue
                connector.notify(lambda name=name: self._announce(name))
            except OSError as exc:  # a folder its first pass has yet to create: looked at again next round
                log.debug("cannot watch %s yet: %s", name, exc)
                self._discard(connector)
                continue
            except Exception as exc:  # noqa: BLE001 - a target that cannot be watched still passes at the interval
                log.warning("cannot watch %s for changes: %s", name, str(exc).splitlines()[0] if str(exc) else exc)
                self.quiet.add(name)
                self._discard(connector)
                continue
            self.open[name] = connector

    def _announce(self, name: str) -> None:
        with self._lock:
            self._announced[name] = utcnow()
        self.wake.set()

    def take(self) -> set[str]:
        """The targets that announced a change since the last take, but for their own passes' writes."""
        with self._lock:
            announced, self._announced = self._announced, {}
        self.wake.clear()
        if not announced:
            return set()
        with self.db.transaction(readonly=True) as tx:
            rows = tx.session.execute(
                select(FleetTargetRow.name, FleetTargetRow.enqueued_at, FleetTargetRow.last_pass_at)
                .where(FleetTargetRow.name.in_(sorted(announced)))
            ).all()  # fmt: skip
        return {
            name for name, enqueued_at, last_pass_at in rows
            if enqueued_at is None and (last_pass_at is None or _aware(announced[name]) > _aware(last_pass_at) + OWN_WRITES)
        }  # fmt: skip

    def _close(self, name: str) -> None:
        self._discard(self.open.pop(name))

    @staticmethod
    def _discard(connector) -> None:
        if connector is None:
            return
        try:
            connector.close()
        except Exception:  # noqa: BLE001
            log.debug("closing a watcher failed", exc_info=True)

    def close(self) -> None:
        for name in list(self.open):
            self._close(name)


def _aware(moment):
    """SQLite gives naive UTC datetimes back; compare them as UTC."""

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
