"""Writes Exchange throttles or refuses are failed results, never lost and never a crash; the next pass finishes (U4)."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from ews_helpers import open_ews
from ews_hub import person
from fake_ews import URL

from contacthub.connector import Marker, TargetError, Throttled, WriteRequest
from contacthub.model import Contact


def test_u4_a_throttled_create_is_a_failed_result_per_item_and_the_next_pass_makes_them(hub, fake):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    fake.replay("CreateItem", "server_busy.xml", status=500)  # ErrorServerBusy, BackOffMilliseconds 1500; max_wait = 0
    result = hub.sync()
    assert len(result.report.problems) == 3 and all("busy" in p for p in result.report.problems), result.report.problems
    assert hub.copies() == {}
    result = hub.sync()
    assert not result.report.problems
    hub.assert_converged(ids)


def test_u4_the_connector_hands_every_item_of_a_throttled_request_its_own_failed_result(fake, conn):
    requests = [WriteRequest(Contact(display_name=f"P{i}"), Marker("db", f"r{i}")) for i in range(4)]
    fake.replay("CreateItem", "server_busy.xml", status=500)
    results = list(conn.create(requests))
    assert [r.request for r in results] == requests
    assert all(isinstance(r.error, Throttled) and r.error.retry_after == pytest.approx(1.5) for r in results)
    assert all(r.ok for r in conn.create(requests))  # the same requests go through afterwards


def test_u4_a_refused_item_is_a_failed_result_and_the_others_are_written(hub, fake):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    fake.refuse_items("CreateItem", "ErrorQuotaExceeded", "The mailbox that was requested has exceeded its quota.")
    result = hub.sync()
    assert len(result.report.problems) == 1 and "ErrorQuotaExceeded" in result.report.problems[0]
    assert len(hub.copies()) == 2
    assert not hub.sync().report.problems
    hub.assert_converged(ids)


def test_u4_throttled_updates_and_deletes_keep_their_work_for_the_next_pass(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing")
    with hub.db.transaction() as tx:
        tx.records.delete(ben)
    fake.replay("UpdateItem", "server_busy.xml", status=500)
    fake.replay("GetItem", "server_busy.xml", status=500)  # the ChangeKey check before DeleteItem
    result = hub.sync()
    assert len(result.report.problems) == 2, result.report.problems
    assert fake.value(hub.copy_id(ann), "JobTitle") is None and ben in hub.copies()
    assert not hub.sync().report.problems
    assert fake.value(hub.copy_id(ann), "JobTitle") == "Head of purchasing" and ben not in hub.copies()
    hub.assert_converged([ann])


def test_u4_exchangelibs_back_off_lines_are_debug_not_warnings(fake, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("exchangelib.util.time.sleep", lambda seconds: None)
    caplog.set_level(logging.INFO)
    conn = open_ews(tmp_path, max_wait=10)
    conn.check()
    conn.retry.back_off(1.5)  # as after an ErrorServerBusy: the next request waits first
    assert list(conn.list()) == []
    conn.close()
    assert not [r for r in caplog.records if r.name.startswith("exchangelib") and r.levelno >= logging.INFO]


def test_u4_a_refused_update_names_the_contact_and_the_code(fake, conn):
    (created,) = conn.create([WriteRequest(Contact(display_name="Ann"), Marker("db", "r1"))])
    fake.refuse_items("UpdateItem", "ErrorQuotaExceeded", "The mailbox that was requested has exceeded its quota.")
    (result,) = conn.update([WriteRequest(Contact(display_name="Ann B"), Marker("db", "r1"), created.ref.remote_id, created.ref.etag)])
    assert isinstance(result.error, TargetError) and "ErrorQuotaExceeded" in str(result.error) and "\n" not in str(result.error)


def test_u4_a_server_that_does_not_answer_stops_the_pass_instead_of_failing_every_write(fake, conn):
    fake.mock.replace(responses.POST, URL, body=requests.ConnectionError("Connection refused"))
    with pytest.raises(TargetError, match="cannot reach the server"):
        list(conn.create([WriteRequest(Contact(display_name="Ann"), Marker("db", "r1"))]))
