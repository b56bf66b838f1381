"""U4 in the engine: how a pass ended is its result's outcome and exit code, and is kept in the
database for `sync status`, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sync_helpers import Hub, person

from contacthub.connector import AuthError, TargetError
from contacthub.sync.apply import SyncAborted
from contacthub.sync.engine import MassDeletion
from contacthub.sync.status import sync_status


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub(request, tmp_path):
    url = request.getfixturevalue("pg_server").schema_url() if request.param == "postgresql" else None
    hub = Hub(tmp_path, url)
    yield hub
    hub.db.dispose()


def last_pass(hub) -> dict:
    return sync_status(hub.db, hub.settings)["last_pass"]


def test_u4_failed_writes_make_a_partly_done_pass_kept_for_status_and_the_next_pass_is_done(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(4)]
    hub.target.fail_next("create", TargetError("memory: HTTP 507 Insufficient Storage"), times=3)
    result = hub.sync()
    assert (result.outcome, result.exit_code) == ("partly-done", 3)
    assert len(result.report.failures) == 3 and result.report.writes == 4
    last = last_pass(hub)
    assert last["outcome"] == "partly-done" and last["failed"] == 3 and last["writes"] == 4
    assert [why for _what, why in last["failures"]] == ["memory: HTTP 507 Insufficient Storage"] * 3
    again = hub.sync()
    assert (again.outcome, again.exit_code) == ("done", 0)
    assert set(hub.copies()) == set(ids) and last_pass(hub)["outcome"] == "done"


def test_u4_a_target_failing_mid_pass_raises_with_its_partly_done_result(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    hub.target.crash_after("create", 1)
    with pytest.raises(SyncAborted) as caught:
        hub.sync()
    assert caught.value.exit_code == 3
    assert caught.value.result.outcome == "partly-done" and "connection lost" in caught.value.result.report.ended_early
    assert last_pass(hub)["outcome"] == "partly-done" and "connection lost" in last_pass(hub)["message"]
    hub.sync()
    assert set(hub.copies()) == set(ids)


def test_u4_a_safety_stop_and_an_error_are_kept_for_status(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(4)]
    hub.sync()
    for remote_id, _contact in list(hub.copies().values())[:3]:
        hub.target.user_delete(remote_id)
    with pytest.raises(MassDeletion) as stopped:
        hub.sync()
    assert stopped.value.exit_code == 4 and str(stopped.value).startswith("stopped by the safety check: ")
    assert last_pass(hub)["outcome"] == "stopped"
    hub.target.fail_next("check", AuthError("memory: wrong password"))
    with pytest.raises(AuthError):
        hub.sync()
    assert last_pass(hub) | {"outcome": "error", "message": "memory: wrong password"} == last_pass(hub)
    assert all(not hub.record(i).is_deleted for i in ids)  # neither changed anything
