"""SharePoint through Graph: the list URL, missing columns, 410 resync, 403/404 lines, no token in errors."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
import responses
from sharepoint_fake import BASE, LIST_ID, SITE_ID, TOKEN, FakeSharePoint
from sharepoint_helpers import open_sharepoint

from contacthub.connector import AuthError, NotFound, TokenExpired
from contacthub.connectors.sharepoint.connector import split_list_url
from contacthub.connectors.sharepoint.mapping import DETAILS_COLUMN, MARKER_COLUMN
from contacthub.errors import ConfigError

DATA = Path(__file__).parent / "data"


def test_the_list_url_gives_host_site_and_list():
    assert split_list_url("https://contoso.sharepoint.com/sites/sales/Lists/Customer%20Contacts/AllItems.aspx") == (
        "contoso.sharepoint.com", "/sites/sales", "Customer Contacts")  # fmt: skip
    for bad in ("http://contoso.sharepoint.com/sites/a/Lists/B", "https://contoso.sharepoint.com/sites/a", "https://u:p@x/Lists/B"):
        with pytest.raises(ConfigError):
            split_list_url(bad)


def test_the_hidden_columns_are_added_once_and_missing_template_columns_are_skipped():
    with FakeSharePoint(columns=("Title", "FirstName", "Email")) as fake:
        conn = open_sharepoint()
        conn.check()
        assert fake.columns[MARKER_COLUMN]["hidden"] and fake.columns[DETAILS_COLUMN]["text"]["allowMultipleLines"]
        open_sharepoint().check()
        column_posts = [c for c in fake.calls if c[0] == "POST" and c[1].endswith("/columns")]
        assert len(column_posts) == 2  # one per hidden column; the second connector found them
        from contacthub.connector import Marker, WriteRequest
        from contacthub.model import Contact, Name

        (result,) = conn.create([WriteRequest(Contact(name=Name("Tester", "Ann"), title="Buyer"), Marker("db", "r1"))])
        assert result.ok, result.error
        assert set(fake.items[result.ref.remote_id]["fields"]) == {"Title", "FirstName", "Email", MARKER_COLUMN, DETAILS_COLUMN}


def test_410_resync_required_is_token_expired(fake):
    conn = open_sharepoint()
    first = conn.changes("")
    fake.expire_tokens()
    with pytest.raises(TokenExpired, match="resyncRequired"):
        conn.changes(first.token)


def test_the_recorded_410_answer_is_token_expired():
    recorded = json.loads((DATA / "delta_410_resync.json").read_text())
    lists = re.escape(f"{BASE}/sites/") + r"[^/]+/lists/"
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/sites/contoso.sharepoint.com:/sites/sales", json={"id": SITE_ID})
        rsps.get(re.compile(lists + r"Contacts\?.*"), json={"id": LIST_ID, "displayName": "Contacts"})
        rsps.get(re.compile(lists + LIST_ID + r"/columns\?.*"), json={"value": [{"name": n} for n in ("Title", MARKER_COLUMN, DETAILS_COLUMN)]})
        rsps.get(re.compile(lists + LIST_ID + r"/items/delta\?token=.*"), status=410, json=recorded["body"], headers=recorded["headers"])
        link = f"{BASE}/sites/{SITE_ID}/lists/{LIST_ID}/items/delta?token=MzslMjM0OzMjMDsxOzg"
        with pytest.raises(TokenExpired) as caught:
            open_sharepoint().changes(link)
    assert "resyncRequired" in str(caught.value) and "Contacts" in str(caught.value)


def test_delta_pages_and_deletions(fake):
    conn = open_sharepoint()
    ids = [fake.user_create({"Title": f"P{i}"}) for i in range(5)]
    first = conn.changes("")
    assert {r.remote_id for r in first.changed} == set(ids)
    fake.user_delete(ids[0])
    fake.user_edit(ids[1], Title="Changed")
    since = conn.changes(first.token)
    assert [r.remote_id for r in since.changed] == [ids[1]] and since.deleted == [ids[0]]


def test_an_unknown_site_or_list_names_it():
    with FakeSharePoint():
        with pytest.raises(NotFound, match="Nope"):
            open_sharepoint("https://contoso.sharepoint.com/sites/sales/Lists/Nope").check()
        with pytest.raises(NotFound, match="/sites/other"):
            open_sharepoint("https://contoso.sharepoint.com/sites/other/Lists/Contacts").check()


def test_403_names_the_list_and_the_permission(caplog):
    caplog.set_level(logging.DEBUG)
    body = {"error": {"code": "accessDenied", "message": "Access denied",
                      "innerError": {"date": "2025-02-13T10:21:18", "request-id": "3a3b1bf7-3596-4493-8264-de81e028071f"}}}  # fmt: skip
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/sites/contoso.sharepoint.com:/sites/sales", status=403, json=body)
        with pytest.raises(AuthError) as caught:
            open_sharepoint().check()
    message = str(caught.value)
    assert "list 'Contacts'" in message and "Sites.ReadWrite.All" in message and "accessDenied" in message
    assert TOKEN not in message + caplog.text
