"""Migration 0007 (fleet_targets) on SQLite and PostgreSQL, and the scheduler's claim (issue 17).

The claim is what keeps two schedulers from queuing a double pass: tested here
with two claims racing in threads on PostgreSQL (SELECT … FOR UPDATE SKIP LOCKED),
and on real scheduler processes in test_fleet_workers.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from store_helpers import contact, database_at, old_record

from contacthub.fleet.scheduler import claim_due
from contacthub.fleet.spec import TargetSpec
from contacthub.fleet.targets import add_target
from contacthub.store import open_database
from contacthub.store.schema import FleetTargetRow, utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_url(request, tmp_path):
    if request.param == "sqlite":
        return lambda: f"sqlite:///{tmp_path / 'dbs' / 'old.sqlite'}"
    server = request.getfixturevalue("pg_server")
    return server.schema_url


def test_issue17_database_at_0006_with_sync_state_upgrades_to_0007(new_url):
    """An older database with a record and a synced target opens at 0007: the fleet table is there, nothing lost."""
    url = new_url()
    engine = database_at(url, "0006")
    record_id = "06d00000-0000-4000-8000-000000000000"
    with engine.begin() as conn:
        old_record(conn, record_id, contact("Old Timer"))
        conn.execute(text("INSERT INTO sync_targets (key, connector, created_at, seq, change_token, selection) "
                          "VALUES ('vcf:/phone', 'vcf', CURRENT_TIMESTAMP, 1, '', '')"))  # fmt: skip
    engine.dispose()
    db = open_database(url)
    try:
        with db.transaction() as tx:
            assert tx.records.get(record_id).contact.best_name() == "Old Timer"
            assert tx.session.execute(text("SELECT key FROM sync_targets")).scalars().all() == ["vcf:/phone"]
        add_target(db, TargetSpec("alice", "vcf", "/srv/alice", ["Team"], "Biz", {"create": True}))
        with db.transaction(readonly=True) as tx:
            row = tx.session.scalars(select(FleetTargetRow)).one()
            assert (row.name, row.filters, row.options, row.paused, row.failures) == ("alice", ["Team"], {"create": True}, False, 0)
    finally:
        db.dispose()


@pytest.mark.postgres
def test_issue17_two_schedulers_claiming_at_once_queue_each_target_once(pg_url):
    db = open_database(pg_url)
    try:
        for n in range(40):
            add_target(db, TargetSpec(f"t{n:02}", "vcf", f"/srv/t{n}"))
        sent: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(2)

        def scheduler() -> None:
            barrier.wait()
            for _ in range(5):
                claim_due(db, 3600, lambda name: (lock.acquire(), sent.append(name), lock.release()))

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(sent) == [f"t{n:02}" for n in range(40)]  # each once, none twice
        # A pass that ends (claim cleared) is not due again until the database changes or the interval ends.
        with db.transaction() as tx:
            tx.session.execute(update(FleetTargetRow).values(enqueued_at=None, last_pass_at=utcnow()))
        assert claim_due(db, 3600, lambda name: None) == []
        with db.transaction() as tx:
            tx.records.add(contact("New Person"))  # bumps the change counter
            tx.session.execute(update(FleetTargetRow).where(FleetTargetRow.name == "t00").values(paused=True))
            later = utcnow() + timedelta(minutes=5)
            tx.session.execute(update(FleetTargetRow).where(FleetTargetRow.name == "t01").values(backoff_until=later))
        again = claim_due(db, 3600, lambda name: None)
        assert sorted(again) == [f"t{n:02}" for n in range(2, 40)]  # not the paused one, not the one backing off
        assert claim_due(db, 3600, lambda name: None) == []  # already queued
    finally:
        db.dispose()
