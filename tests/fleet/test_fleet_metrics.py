"""Prometheus metrics of the fleet (issue 17: "metrics for Prometheus (passes, failures, lag, queue depth) from the workers").

The gauges are read from fleet_targets on the real PostgreSQL; the counters are
scraped over HTTP from a real `contacthub worker --metrics-port` (prefork pool
of 2 processes, real Redis) after real passes.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.request import urlopen

from carddav_servers import free_port
from fleet_brokers import BROKERS, broker_url, wait_for
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from store_helpers import contact

from contacthub.fleet.metrics import FleetCollector
from contacthub.fleet.spec import TargetSpec
from contacthub.fleet.targets import add_target
from contacthub.store.schema import FleetTargetRow, utcnow


def _samples(text: str) -> dict[tuple, float]:
    """(name, sorted labels) -> value, from the Prometheus text format."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def test_issue17_metrics_lag_failures_and_queue_depth_are_read_from_fleet_targets(fleet_factory, tmp_path):
    """The collector's gauges follow the rows: lag since the last good pass, failures in a row, queued vs running."""
    fleet = fleet_factory(BROKERS["redis"])  # no broker is used here
    for name in ("synced", "failing", "queued", "running", "new"):
        add_target(fleet.db, TargetSpec(name, "vcf", str(tmp_path / name), [], "", {}))
    now = utcnow()
    with fleet.db.transaction() as tx:
        rows = {r.name: r for r in tx.session.scalars(select(FleetTargetRow))}
        rows["synced"].last_ok_at = now - timedelta(minutes=10)
        rows["failing"].last_ok_at, rows["failing"].failures = now - timedelta(hours=2), 3
        rows["queued"].enqueued_at = now
        rows["running"].enqueued_at, rows["running"].running_on = now, "host:123"
    registry = CollectorRegistry()
    registry.register(FleetCollector(lambda: fleet.db))
    value = registry.get_sample_value

    assert 600 <= value("contacthub_target_lag_seconds", {"target": "synced"}) < 3600
    assert 7200 <= value("contacthub_target_lag_seconds", {"target": "failing"})
    assert value("contacthub_target_lag_seconds", {"target": "new"}) is None  # never synced: no lag to show
    assert value("contacthub_target_failures", {"target": "failing"}) == 3
    assert value("contacthub_target_failures", {"target": "synced"}) == 0
    assert value("contacthub_queue_depth") == 1  # "running" is claimed too, but already started
    assert value("contacthub_passes_running") == 1

    with fleet.db.transaction() as tx:  # the queued pass starts: the next scrape sees it moved
        tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == "queued")).one().running_on = "host:456"
    assert value("contacthub_queue_depth") == 0 and value("contacthub_passes_running") == 2


def test_issue17_worker_metrics_port_serves_passes_failures_and_durations_summed_over_the_pool(fleet_factory, tmp_path):
    """`contacthub worker -c 2 --metrics-port`: after 2 good passes and 1 failed one (whichever pool process ran
    them), /metrics shows passes by outcome, the failure, 3 durations, and the database's gauges."""
    fleet = fleet_factory(broker_url("redis"))
    with fleet.db.transaction() as tx:
        tx.records.add(contact("Ann Metric"))
    fleet.cli("fleet", "add", "phone1", f"vcf:{tmp_path / 'p1'}", "--option", "create=true")
    fleet.cli("fleet", "add", "phone2", f"vcf:{tmp_path / 'p2'}", "--option", "create=true")
    fleet.cli("fleet", "add", "down", f"carddav:http://127.0.0.1:{free_port()}/nobody/book/", "--option", "timeout=2")
    fleet.env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prom")  # the worker makes and empties it
    port = free_port()
    fleet.start("w1", "worker", "-c", "2", "--metrics-port", str(port), "--loglevel=info", "-n", f"w1-{fleet.queue}@%h",
                "--without-mingle", "--without-gossip", "--without-heartbeat")  # fmt: skip
    for name in ("phone1", "phone2", "down"):
        fleet.send(name)

    def scraped():
        try:
            with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                samples = _samples(response.read().decode())
        except OSError:
            return None  # not listening yet
        return samples.get(("contacthub_pass_duration_seconds_count", ())) == 3 and samples
    samples = wait_for(scraped, 90, "3 passes counted on /metrics", fleet)

    assert samples[("contacthub_passes_total", (("outcome", "done"),))] == 2
    assert samples[("contacthub_passes_total", (("outcome", "error"),))] == 1
    assert samples[("contacthub_pass_failures_total", ())] == 1
    assert samples[("contacthub_target_failures", (("target", "down"),))] == 1
    assert ("contacthub_target_lag_seconds", (("target", "phone1"),)) in samples
    assert ("contacthub_target_lag_seconds", (("target", "down"),)) not in samples  # it never synced
    assert samples[("contacthub_queue_depth", ())] == 0
    assert list((tmp_path / "prom").glob("counter_*.db"))  # the pool processes wrote there (multiprocess mode)


def test_issue17_scheduler_metrics_port_shows_the_queue_depth_of_passes_no_worker_took(fleet_factory, tmp_path):
    """`contacthub scheduler --metrics-port`: with no worker running, the 2 passes it queued show as queue depth 2."""
    fleet = fleet_factory(broker_url("redis"))
    for name in ("a", "b"):
        fleet.cli("fleet", "add", name, f"vcf:{tmp_path / name}", "--option", "create=true")
    port = free_port()
    fleet.start("s1", "scheduler", "--metrics-port", str(port), "--poll", "1")

    def scraped():
        try:
            with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                samples = _samples(response.read().decode())
        except OSError:
            return None
        return samples.get(("contacthub_queue_depth", ())) == 2 and samples
    samples = wait_for(scraped, 60, "queue depth 2 on the scheduler's /metrics", fleet)
    assert samples[("contacthub_passes_running", ())] == 0
    assert ("contacthub_passes_total", (("outcome", "done"),)) not in samples  # the scheduler runs no pass
