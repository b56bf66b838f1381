"""Graph's error, throttling and batch answers, as published, become the right typed errors.

Literal answers live in data/*.json (shapes from the Graph docs: the error
envelope, JSON batching with per-request status, throttling with Retry-After).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import responses
from graph_fake import BASE, TOKEN, FakeGraph
from graph_helpers import FOLDER, Sleeps, open_graph

from contacthub.connector import AuthError, Marker, NotFound, TargetError, Throttled, WriteRequest, WrongEtag
from contacthub.connectors.graph.http import GraphClient
from contacthub.model import Contact, Name

DATA = Path(__file__).parent / "data"
FOLDERS = f"{BASE}/me/contactFolders"
FOLDER_ID = "AAMkAGFolder1AAA="
FOLDER_ENC = "AAMkAGFolder1AAA%3D"  # ids are sent as one encoded path segment


def recorded(name: str) -> dict:
    return json.loads((DATA / name).read_text())


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(FOLDERS, json={"value": [{"id": FOLDER_ID, "displayName": FOLDER}]})
        yield mock


def test_a_batch_with_mixed_statuses_gives_one_result_each_and_retries_only_the_throttled_one(rsps, tmp_path):
    rsps.post(f"{BASE}/$batch", json=recorded("batch_mixed.json"))
    rsps.post(f"{BASE}/$batch", json=recorded("batch_retry.json"))
    sleeps = Sleeps()
    conn = open_graph(tmp_path, sleeps=sleeps)
    ids = ["AAMkAGI2TG93AAAone=", "AAMkAGI2TG93AAAtwo=", "AAMkAGI2TG93AAAthree=", "AAMkAGI2TG93AAAfour="]
    contact = Contact(display_name="Ann Tester", name=Name("Tester", "Ann"), title="new")
    requests_ = [WriteRequest(contact, Marker("db", f"r{i}"), rid, "EQAAABYAAADold") for i, rid in enumerate(ids)]
    results = list(conn.update(requests_))
    assert [r.request for r in results] == requests_
    assert results[0].ok and results[0].ref.etag == "EQAAABYAAADnew1"
    assert isinstance(results[1].error, WrongEtag)
    assert isinstance(results[2].error, NotFound)
    assert results[3].ok and results[3].ref.etag == "EQAAABYAAADnew4"
    assert sleeps == [7.0]  # the sub-response's own Retry-After
    batches = [json.loads(c.request.body) for c in rsps.calls if c.request.url.endswith("$batch")]
    assert [len(b["requests"]) for b in batches] == [4, 1]
    retried = batches[1]["requests"][0]
    assert retried["method"] == "PATCH" and retried["url"].endswith("AAMkAGI2TG93AAAfour%3D")
    assert retried["headers"]["If-Match"] == 'W/"EQAAABYAAADold"'


def test_a_sub_request_throttled_past_the_retries_is_a_throttled_result(tmp_path):
    with FakeGraph() as fake:
        sleeps = Sleeps()
        conn = open_graph(tmp_path, sleeps=sleeps)
        fake.throttle_subrequests(100, retry_after="2")
        (result,) = conn.create([WriteRequest(Contact(display_name="Ann"), Marker("db", "r1"))])
        assert isinstance(result.error, Throttled) and result.error.retry_after == 2.0
        assert sleeps == [2.0] * 4
        assert fake.contacts(FOLDER) == {}


def test_429_with_retry_after_is_waited_out(rsps, tmp_path):
    rsps.get(f"{FOLDERS}/{FOLDER_ENC}", status=429, json=recorded("error_429_throttled.json"), headers={"Retry-After": "3"})
    rsps.get(f"{FOLDERS}/{FOLDER_ENC}", json={"id": FOLDER_ID})
    sleeps = Sleeps()
    open_graph(tmp_path, sleeps=sleeps).check()
    assert sleeps == [3.0]


def test_a_long_retry_after_is_handed_to_the_engine_as_throttled(rsps, tmp_path):
    rsps.get(f"{FOLDERS}/{FOLDER_ENC}", status=429, json=recorded("error_429_throttled.json"), headers={"Retry-After": "3600"})
    with pytest.raises(Throttled) as caught:
        open_graph(tmp_path).check()
    assert caught.value.retry_after == 3600.0
    assert "Business" in str(caught.value) and "TooManyRequests" in str(caught.value)


@pytest.mark.parametrize("status", [503, 504])
def test_a_service_that_stays_unavailable_ends_as_throttled_after_bounded_backoff(rsps, tmp_path, status):
    rsps.get(f"{FOLDERS}/{FOLDER_ENC}", status=status, body="")
    sleeps = Sleeps()
    with pytest.raises(Throttled):
        open_graph(tmp_path, sleeps=sleeps).check()
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # no Retry-After: exponential backoff, bounded


def test_401_refreshes_the_token_once_then_gives_up_with_a_clear_line(rsps, tmp_path):
    asked = []

    def token(force: bool) -> str:
        asked.append(force)
        return TOKEN

    rsps.get(f"{FOLDERS}/{FOLDER_ENC}", status=401, json=recorded("error_401_expired.json"))
    rsps.get(f"{FOLDERS}/{FOLDER_ENC}", json={"id": FOLDER_ID})
    open_graph(tmp_path, token=token).check()
    assert asked == [False, True]

    rsps.replace("GET", f"{FOLDERS}/{FOLDER_ENC}", status=401, json=recorded("error_401_expired.json"))
    with pytest.raises(AuthError, match="auth login"):
        open_graph(tmp_path, token=token).check()


def test_403_names_the_folder_and_the_permission(rsps, tmp_path):
    rsps.replace("GET", FOLDERS, status=403, json=recorded("error_403_folder.json"))
    with pytest.raises(AuthError) as caught:
        open_graph(tmp_path).check()
    message = str(caught.value)
    assert "contact folder 'Business'" in message and "Contacts.ReadWrite" in message and "\n" not in message


def test_404_for_an_unknown_mailbox_names_it(tmp_path):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/users/nobody%40contoso.com/contactFolders", status=404, json=recorded("error_404_mailbox.json"))
        with pytest.raises(NotFound) as caught:
            open_graph(tmp_path, mailbox="nobody@contoso.com").check()
    assert "nobody%40contoso.com" in str(caught.value) and "ErrorInvalidUser" in str(caught.value)


def test_a_next_link_to_another_host_is_never_followed_with_the_token(rsps, tmp_path):
    rsps.get(f"{FOLDERS}/{FOLDER_ENC}/contacts", json={"value": [], "@odata.nextLink": "https://evil.example/steal"})
    with pytest.raises(TargetError, match="outside"):
        list(open_graph(tmp_path).list())
    assert all("evil.example" not in c.request.url for c in rsps.calls)


def test_listing_follows_next_links(fake, tmp_path):
    conn = open_graph(tmp_path)
    conn.check()
    ids = {fake.user_create(FOLDER, Contact(display_name=f"P{i}")) for i in range(7)}
    listed = list(conn.list())
    assert {r.remote_id for r in listed} == ids and all(r.marker is None for r in listed)
    pages = [c for c in fake.calls if c[0] == "GET" and c[1].endswith("/contacts")]
    assert len(pages) == 3  # 7 contacts, pages of 3


def test_the_graph_url_setting_reaches_a_national_cloud(tmp_path):
    base = "https://graph.microsoft.us/v1.0"
    with FakeGraph(base=base) as fake:
        client = GraphClient(base, lambda force: TOKEN, sleep=Sleeps())
        from contacthub.connectors.graph.connector import GraphConnector

        conn = GraphConnector(client, FOLDER, tmp_path)
        (result,) = conn.create([WriteRequest(Contact(display_name="Ann"), Marker("db", "r1"))])
        assert result.ok and fake.contacts(FOLDER)


def test_u3_the_token_never_shows_in_logs_or_errors(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    with FakeGraph() as fake:
        conn = open_graph(tmp_path)
        conn.check()
        fake.throttle_subrequests(100)
        errors += [r.error for r in conn.create([WriteRequest(Contact(display_name="Ann"), Marker("db", "r1"))])]
        fake.revoke_token()
        fake.throttle_subrequests(0)
        errors += [r.error for r in conn.update([WriteRequest(Contact(), Marker("db", "r1"), "AAMkAGmissing=", "x")])]
        for call in (conn.check, lambda: conn.changes(f"{BASE}/me/contactFolders/x/contacts/delta?$deltatoken={TOKEN}")):
            try:
                call()
            except Exception as exc:
                errors.append(exc)
    with responses.RequestsMock() as rsps:
        rsps.get(FOLDERS, status=401, json=recorded("error_401_expired.json"))
        try:
            open_graph(tmp_path).check()
        except AuthError as exc:
            errors.append(exc)
    assert len([e for e in errors if e]) >= 3
    text = caplog.text + "\n".join(f"{e!r} {e}" for e in errors if e)
    assert TOKEN not in text and "Bearer" not in text
