"""Prometheus metrics of the fleet (issue 17): what the workers count, and what the database shows at scrape time.

Counted where a pass ends (passes.py), in the pool process that ran it:
- contacthub_passes_total{outcome}: passes by outcome (done, partly-done, error, stopped, gone, paused);
- contacthub_pass_failures_total: passes whose target failed (the ones that back off);
- contacthub_pass_duration_seconds: how long passes took (histogram).
Celery's prefork pool runs passes in several processes, so these use
prometheus_client's multiprocess mode: PROMETHEUS_MULTIPROC_DIR is set before
the worker starts (`contacthub worker --metrics-port` does it) and the main
process serves the sum of all its pool processes' files.

Read from fleet_targets at each scrape (FleetCollector), so any process may
serve them (worker or scheduler), and they are right whichever worker ran what:
- contacthub_target_lag_seconds{target}: since the target's last good pass;
- contacthub_target_failures{target}: failed passes in a row;
- contacthub_queue_depth: passes queued (claimed by a scheduler) and not yet started;
- contacthub_passes_running: passes running now.
Without prometheus_client installed (no `fleet` extra), recording is a no-op.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("contacthub.fleet")

try:
    import prometheus_client
except ImportError:  # the fleet extra is not installed: workers run without metrics
    prometheus_client = None


@functools.cache
def _counted():
    """The pass metrics, made on first use: in multiprocess mode they open files in PROMETHEUS_MULTIPROC_DIR,
    which `contacthub worker` makes only after importing this module."""
    return (
        prometheus_client.Counter("contacthub_passes", "Fleet passes ended, by outcome.", ["outcome"]),
        prometheus_client.Counter("contacthub_pass_failures", "Fleet passes whose target failed (the target backs off)."),
        prometheus_client.Histogram("contacthub_pass_duration_seconds", "How long fleet passes took.",
                                    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)),
    )  # fmt: skip


def pass_ended(outcome: str, failed: bool = False, seconds: float | None = None) -> None:
    """Count one pass that ended (in the process that ran it); no duration for one that did not run (gone, paused)."""
    if prometheus_client is None:
        return
    passes, failures, duration = _counted()
    passes.labels(outcome=outcome).inc()
    if failed:
        failures.inc()
    if seconds is not None:
        duration.observe(seconds)


class FleetCollector:
    """Gauges read from fleet_targets at scrape time (a prometheus_client custom collector)."""

    def __init__(self, db_of) -> None:
        self._db_of = db_of  # a callable: the database is opened on the first scrape, in the serving process

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        from sqlalchemy import select

        from contacthub.store.schema import FleetTargetRow, utcnow

        row = FleetTargetRow
        with self._db_of().transaction(readonly=True) as tx:
            rows = tx.session.execute(
                select(row.name, row.last_ok_at, row.failures, row.enqueued_at, row.running_on).order_by(row.name)
            ).all()
        now = utcnow()
        lag = GaugeMetricFamily("contacthub_target_lag_seconds", "Seconds since the target's last good pass "
                                "(absent: never synced).", labels=["target"])  # fmt: skip
        failures = GaugeMetricFamily("contacthub_target_failures", "Failed passes in a row of the target.", labels=["target"])
        for name, last_ok_at, failed, _, _ in rows:
            if last_ok_at is not None:
                lag.add_metric([name], (now - last_ok_at).total_seconds())
            failures.add_metric([name], failed)
        yield lag
        yield failures
        yield GaugeMetricFamily("contacthub_queue_depth", "Fleet passes queued and not yet started.",
                                value=sum(1 for r in rows if r.enqueued_at is not None and not r.running_on))  # fmt: skip
        yield GaugeMetricFamily("contacthub_passes_running", "Fleet passes running now.", value=sum(1 for r in rows if r.running_on))


def fresh_multiproc_dir() -> Path:
    """PROMETHEUS_MULTIPROC_DIR for a worker about to start: the operator's (emptied, as the docs require) or a new one.

    Set in the environment before Celery starts, so every pool process it forks writes its files there.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        if path.is_dir():
            for stale in path.glob("*.db"):  # counts of a previous run must not add to this one's
                stale.unlink()
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="contacthub-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def serve(port: int, db_of, multiprocess: bool, addr: str = "127.0.0.1") -> None:
    """Serve /metrics on `port` in a thread: the pool processes' sums (multiprocess) and the database's gauges."""
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.core import GaugeMetricFamily  # noqa: F401 - imported here, not in the scrape thread
    from sqlalchemy import select  # noqa: F401

    from contacthub.store.schema import FleetTargetRow  # noqa: F401

    if multiprocess:
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    registry.register(FleetCollector(db_of))
    start_http_server(port, addr=addr, registry=registry)
    log.info("metrics on http://%s:%d/metrics", addr, port)


def process_gone(pid: int) -> None:
    """A pool process ended: its live gauges leave the sums (the docs' mark_process_dead)."""
    if prometheus_client is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)


def check_port(port: int, addr: str = "127.0.0.1") -> None:
    """One clear line before the worker starts when the metrics port is taken (Celery would only log it)."""
    import socket

    from contacthub.errors import ContactHubError

    with socket.socket() as sock:
        try:
            sock.bind((addr, port))
        except OSError as exc:
            raise ContactHubError(f"cannot serve metrics on port {port}: {exc.strerror}") from None
