"""Outlook's concurrency limit: at most 4 requests in flight per mailbox, each batch sub-request counted (S1, U4).

The fake mailbox enforces the limit as Outlook does (mailbox_limit.py) and
holds each request a little (`service_time`), so requests sent together
really overlap in it.
"""

from __future__ import annotations

import pytest
from graph_fake import BASE, TOKEN, FakeGraph
from graph_helpers import FOLDER, Sleeps, open_graph
from graph_hub import GraphHub, person

from contacthub.connectors.graph.http import GraphClient, SubRequest

HOLD = 0.002  # seconds the fake mailbox holds each request


@pytest.fixture
def strict(tmp_path):
    with FakeGraph(strict=True, service_time=HOLD) as mailbox:
        yield mailbox


def test_s1_a_first_sync_of_1000_into_a_throttling_mailbox_completes_in_one_pass_without_429(tmp_path, strict):
    hub = GraphHub(tmp_path, strict)
    with hub.db.transaction() as tx:
        ids = [tx.records.add(person(f"P{i:04d}"), type_name="business-contact").id for i in range(1000)]
    result = hub.sync()
    assert not result.report.problems, result.report.problems[:3]
    assert strict.limit.refused == 0  # no request of ours was over the mailbox's limit
    assert strict.limit.most["me"] <= 4
    assert {k: len(v) for k, v in hub.copies().items()} == {i: 1 for i in ids}  # one pass, every copy, no twin
    assert max(strict.batches) <= 4
    assert hub.sync().plan.actions == []
    hub.db.dispose()


def test_s1_batches_to_a_mailbox_hold_at_most_4_sub_requests_and_go_one_at_a_time(strict, tmp_path):
    conn = open_graph(tmp_path)
    conn.check()
    ids = [strict.user_create(FOLDER, person(f"P{i}")) for i in range(50)]
    items = list(conn.fetch(ids))
    assert {i.ref.remote_id for i in items} == set(ids)
    assert strict.batches and max(strict.batches) <= 4 and sum(strict.batches) == 50
    assert strict.limit.refused == 0 and strict.limit.most["me"] <= 4


def test_the_fake_refuses_sub_requests_over_the_mailbox_limit_inside_a_200_batch(strict, tmp_path):
    open_graph(tmp_path).check()  # makes the folder
    client = GraphClient(BASE, lambda force: TOKEN, sleep=Sleeps())
    folder = strict.folder_id(FOLDER)
    body = {"requests": [{"id": str(i), "method": "GET", "url": f"/me/contactFolders/{folder}"} for i in range(1, 7)]}
    reply = client.request("POST", "/$batch", "probe", body=body)
    assert reply.status == 200
    statuses = sorted((r["status"], r["headers"].get("Retry-After"), (r.get("body") or {}).get("error", {}).get("code"))
                      for r in reply.body["responses"])  # fmt: skip
    assert statuses == [(200, None, None)] * 4 + [(429, "1", "ApplicationThrottled")] * 2


def test_without_a_sub_request_limit_the_client_sends_batches_of_20_four_at_a_time(tmp_path):
    """The default, which the sharepoint connector uses: SharePoint lists are not under Outlook's mailbox limit."""
    with FakeGraph(strict=False, service_time=HOLD) as lenient:
        open_graph(tmp_path).check()
        folder = lenient.folder_id(FOLDER)
        client = GraphClient(BASE, lambda force: TOKEN, sleep=Sleeps())
        replies = client.batch([SubRequest("GET", f"/me/contactFolders/{folder}") for _ in range(100)], "probe")
        assert [r.status for r in replies] == [200] * 100
        assert lenient.batches == [20] * 5


def test_the_connector_opened_from_options_keeps_to_the_mailbox_limit(tmp_path):
    from contacthub.connector import ConnectorContext
    from contacthub.connectors.graph.connector import GraphConnector

    conn = GraphConnector.open({"location": FOLDER, "client_id": "x"}, ConnectorContext(tmp_path, lambda ref: ""))
    assert conn.client._gate.limit == 4 and conn.client._subrequest_limit == 4
