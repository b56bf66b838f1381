"""Writes Graph throttles or refuses are failed results, never lost and never a crash; the next pass finishes (U4, S1, S3)."""

from __future__ import annotations

import logging

import pytest
from graph_helpers import FOLDER, Sleeps, open_graph
from graph_hub import person

from contacthub.connector import Marker, TargetError, Throttled, WriteRequest
from contacthub.model import Contact


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def graph_log():
    """Every record of the graph connector's loggers (the CLI stops "contacthub" records at its own handler)."""
    logger, handler = logging.getLogger("contacthub.connectors.graph"), Records()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_u4_throttled_creates_are_failed_results_and_the_next_pass_makes_them(hub, fake, graph_log):
    ids = [hub.add(person(f"P{i}")) for i in range(10)]
    fake.throttle_subrequests(10_000)  # the mailbox keeps answering 429 inside every batch
    result = hub.sync()
    assert len(result.report.problems) == 10 and all("slow down" in p for p in result.report.problems)
    assert hub.copies() == {}
    retries = [r for r in graph_log if "retrying" in r.getMessage()]
    assert retries and all(r.levelno == logging.DEBUG for r in retries)  # the waits are debug chatter, not for the user
    fake.throttle_subrequests(0)
    result = hub.sync()
    assert not result.report.problems
    assert {k: len(v) for k, v in hub.copies().items()} == {i: 1 for i in ids}  # all of them, no twin
    assert hub.sync().plan.actions == []


def test_u4_throttled_updates_keep_the_edit_for_the_next_pass(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing")
    hub.edit(ben, title="Buyer")
    fake.throttle_subrequests(10_000)
    result = hub.sync()
    assert len(result.report.problems) == 2
    assert "jobTitle" not in hub.copy(ann)[1]
    fake.throttle_subrequests(0)
    assert not hub.sync().report.problems
    assert hub.copy(ann)[1]["jobTitle"] == "Head of purchasing" and hub.copy(ben)[1]["jobTitle"] == "Buyer"
    assert hub.sync().plan.actions == []


def test_u4_a_batch_refused_as_a_whole_is_one_failed_result_per_write(fake, tmp_path):
    sleeps = Sleeps()
    conn = open_graph(tmp_path, sleeps=sleeps)
    conn.check()
    requests_ = [WriteRequest(Contact(display_name=f"P{i}"), Marker("db", f"r{i}")) for i in range(6)]
    fake.fail_batches(100, 503)
    results = list(conn.create(requests_))
    assert [r.request for r in results] == requests_
    assert all(isinstance(r.error, Throttled) for r in results)
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # bounded backoff (no Retry-After), then the failure is handed over
    fake.fail_batches(1, 400, "BadRequest", "Invalid batch payload.")
    (refused,) = conn.create(requests_[:1])
    assert isinstance(refused.error, TargetError) and "HTTP 400" in str(refused.error)
    fake.fail_batches(0)
    assert all(r.ok for r in conn.create(requests_))
    assert len(fake.contacts(FOLDER)) == 6


def test_u4_a_pass_whose_batches_are_refused_loses_nothing(hub, fake):
    ids = [hub.add(person(f"P{i}")) for i in range(5)]
    fake.fail_batches(1000, 503)
    result = hub.sync()
    assert len(result.report.problems) == 5 and hub.copies() == {}
    fake.fail_batches(0)
    assert not hub.sync().report.problems
    assert set(hub.copies()) == set(ids)
