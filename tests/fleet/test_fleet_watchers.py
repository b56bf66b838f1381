"""A fleet target that announces its changes (vcf: notify) is claimed at once, not at its interval (issue 17; S8).

At the claim level, in-process on the default SQLite database, without Celery:
the scheduler's watchers mark the target, and claim_due (the same claim two
schedulers share) queues it exactly once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from store_helpers import contact

from contacthub.fleet.passes import FleetEnv, run_target_pass
from contacthub.fleet.scheduler import claim_due
from contacthub.fleet.watchers import Watchers
from contacthub.store.schema import FleetTargetRow

HOUR = 3600.0


@pytest.fixture
def env():
    env = FleetEnv()
    yield env
    if "db" in env.__dict__:
        env.db.dispose()


def test_s8_issue17_a_card_edited_in_a_vcf_target_queues_a_pass_without_waiting_for_the_interval(run, env, tmp_path):
    with env.db.transaction() as tx:
        tx.records.add(contact("Ann Lee"))
    run("fleet", "add", "phone", f"vcf:{tmp_path / 'phone'}", "--option", "create=true")
    run("fleet", "add", "dav", "carddav:https://dav.example/ab/", "--option", "username=ann")
    queued: list[str] = []
    assert sorted(claim_due(env.db, HOUR, queued.append)) == ["dav", "phone"]
    assert run_target_pass(env, "phone") == "done"
    assert claim_due(env.db, HOUR, queued.append) == []  # passed just now: not due for an hour

    watchers = Watchers(env.db, env.cache_dir)
    try:
        watchers.refresh()
        assert list(watchers.open) == ["phone"] and watchers.quiet == {"dav"}  # only connectors that announce are watched
        run("fleet", "add", "new", f"vcf:{tmp_path / 'new'}", "--option", "create=true")
        watchers.refresh()  # its folder comes with its first pass: not watched yet, looked at again next round
        assert "new" not in watchers.open and "new" not in watchers.quiet
        assert watchers.take() == set()
        with env.db.transaction() as tx:
            tx.records.add(contact("Bo Berg"))
        assert claim_due(env.db, HOUR, queued.append) == ["new", "phone"]  # new: never passed; phone: the edit
        assert run_target_pass(env, "phone") == "done"  # writes Bo's card into the watched folder
        assert watchers.wake.wait(30), "the folder's watcher did not announce the pass's write"
        assert watchers.take() == set()  # the pass's own write: no second pass
        with env.db.transaction() as tx:  # as if that pass ended a minute ago
            row = tx.session.scalars(select(FleetTargetRow).where(FleetTargetRow.name == "phone")).one()
            row.last_pass_at -= timedelta(minutes=1)
        card = next(c for c in (tmp_path / "phone").glob("*.vcf") if "Ann Lee" in c.read_text())
        card.write_text(card.read_text().replace("Ann Lee", "Ann Leigh"))
        assert watchers.wake.wait(30), "the folder's watcher did not announce the edit"
        announced = watchers.take()
        assert announced == {"phone"}
        assert claim_due(env.db, HOUR, queued.append, announced) == ["phone"]
        assert claim_due(env.db, HOUR, queued.append, announced) == []  # claimed once: a second round does not queue it again
        assert sorted(queued) == ["dav", "new", "phone", "phone", "phone"]
    finally:
        watchers.close()
