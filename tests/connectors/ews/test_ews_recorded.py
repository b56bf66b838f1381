"""Recorded EWS exchanges (data/*.xml): throttling, a refused sync state, per-item errors, a refused login."""

from __future__ import annotations

import base64
import logging

import pytest
from ews_helpers import open_ews

from contacthub.connector import (
    AuthError,
    Marker,
    NotFound,
    TargetError,
    Throttled,
    TokenExpired,
    WriteRequest,
    WrongEtag,
)
from contacthub.testing import full_contact


class Sleeps(list):
    """exchangelib's back-off sleeps, recorded instead of slept; the wait is then over for `policy`."""

    policy = None

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.policy is not None:
            self.policy.back_off_until = None  # as if the time had passed


@pytest.fixture
def sleeps(monkeypatch):
    recorder = Sleeps()
    monkeypatch.setattr("exchangelib.util.time.sleep", recorder)
    return recorder


def requests_of(fake, operation: str) -> int:
    return fake.requests.count(operation)


def test_server_busy_is_throttled_with_the_servers_back_off_when_no_wait_is_allowed(fake, conn, sleeps):
    fake.replay("FindItem", "server_busy.xml", status=500)
    with pytest.raises(Throttled) as caught:
        list(conn.list())
    assert caught.value.retry_after == pytest.approx(1.5)  # BackOffMilliseconds 1500
    assert "\n" not in str(caught.value) and "max_wait" in str(caught.value)
    assert sleeps == [] and requests_of(fake, "FindItem") == 1


def test_server_busy_is_waited_out_for_back_off_milliseconds_then_retried(fake, tmp_path, sleeps):
    conn = open_ews(tmp_path, max_wait=10)
    sleeps.policy = conn.retry
    conn.check()
    (created,) = conn.create([WriteRequest(full_contact(), Marker("db", "r1"))])
    fake.replay("FindItem", "server_busy.xml", status=500)
    assert [r.remote_id for r in conn.list()] == [created.ref.remote_id]
    assert requests_of(fake, "FindItem") == 2  # the same request again, after the wait
    assert len(sleeps) == 1 and 1.0 < sleeps[0] <= 1.5
    conn.close()


def test_the_wait_bound_is_for_the_whole_pass_and_ends_in_one_clear_line(fake, tmp_path, sleeps):
    conn = open_ews(tmp_path, max_wait=2)
    sleeps.policy = conn.retry
    conn.check()
    for _ in range(3):
        fake.replay("FindItem", "server_busy.xml", status=500)
    with pytest.raises(Throttled) as caught:
        list(conn.list())
    message = str(caught.value)
    assert "\n" not in message and "still busy" in message and "max_wait = 2 s" in message, message
    assert requests_of(fake, "FindItem") == 2 and len(sleeps) == 1  # 1.5 s waited; another 1.5 s would pass 2 s
    conn.close()


def test_s12_a_refused_sync_state_is_token_expired(fake, conn):
    token = conn.changes("").token
    fake.replay("SyncFolderItems", "sync_invalid_state.xml")
    with pytest.raises(TokenExpired, match="sync state"):
        conn.changes(token)


def test_u2_one_refused_create_is_that_items_error_and_the_others_are_created(fake, conn):
    fake.replay("CreateItem", "create_item_one_refused.xml")
    requests = [WriteRequest(full_contact(uid=f"u{i}"), Marker("db", f"r{i}")) for i in range(3)]
    results = list(conn.create(requests))
    assert [r.request for r in results] == requests
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, TargetError) and "ErrorQuotaExceeded" in str(results[1].error)
    assert results[0].ref.remote_id == "AAMkADc3MWUyMGQ5LTE5ZGMtNDAwAAARgAAA="
    assert results[2].ref.marker == Marker("db", "r2")


def test_u2_an_irresolvable_conflict_is_wrong_etag_for_that_item_only(fake, conn):
    refs = [r.ref for r in conn.create([WriteRequest(full_contact(uid=f"u{i}"), Marker("db", f"r{i}")) for i in range(2)])]
    fake.replay("UpdateItem", "update_item_conflict.xml")
    results = list(conn.update([WriteRequest(full_contact(), r.marker, r.remote_id, r.etag) for r in refs]))
    assert isinstance(results[0].error, WrongEtag) and results[1].ok
    assert results[1].ref.etag == "EQAAABYAAAA9IPsvNBc4QI3y0hMXvjJXAAABd3K9"


def test_u2_an_item_gone_between_check_and_delete_is_not_found_and_the_other_is_deleted(fake, conn):
    refs = [r.ref for r in conn.create([WriteRequest(full_contact(uid=f"u{i}"), Marker("db", f"r{i}")) for i in range(2)])]
    fake.replay("DeleteItem", "delete_item_not_found.xml")
    results = list(conn.delete([WriteRequest(remote_id=r.remote_id, etag=r.etag) for r in refs]))
    assert isinstance(results[0].error, NotFound) and results[1].ok


def test_u3_a_wrong_password_is_one_auth_error_line_without_the_password(fake, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    conn = open_ews(tmp_path, secrets={"EWS_PASSWORD": "wr0ng-Passw0rd"})
    with pytest.raises(AuthError) as caught:
        conn.check()
    message = str(caught.value)
    assert "\n" not in message and "refused the credentials" in message and "ann@example.com" in message
    assert "wr0ng-Passw0rd" not in message and "wr0ng-Passw0rd" not in caplog.text
    assert fake.requests == []  # refused before any SOAP operation ran
    conn.close()


def test_u3_debug_logs_of_exchangelib_carry_no_credentials(fake, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    conn = open_ews(tmp_path)
    conn.check()
    list(conn.list())
    conn.close()
    basic = base64.b64encode(b"ann@example.com:s3cret").decode()
    assert "Request headers" in caplog.text  # exchangelib did log the requests
    assert basic not in caplog.text and "s3cret" not in caplog.text
