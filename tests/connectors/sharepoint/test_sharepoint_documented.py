"""The connector against a list that answers as Graph's docs show (issue 11): hidden columns, etag forms, delta links."""

from __future__ import annotations

import pytest
import requests
from sharepoint_fake import BASE, HUB_COLUMNS, ITEMS, LIST_ID, SITE_ID, TOKEN, FakeSharePoint
from sharepoint_helpers import open_sharepoint

from contacthub.connector import AuthError, Marker, WriteRequest
from contacthub.connectors.sharepoint.mapping import DETAILS_COLUMN, MARKER_COLUMN
from contacthub.model import Contact, Name, Typed

COLUMNS = f"{BASE}/sites/{SITE_ID}/lists/{LIST_ID}/columns"


def ann() -> Contact:
    return Contact(name=Name("Tester", "Ann"), emails=[Typed("ann@example.com", ["work"]), Typed("ann@home.example", ["home"])])


def get(url: str) -> dict:
    return requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).json()


def test_the_fake_shows_hidden_columns_and_values_only_when_asked_by_name(fake):
    conn = open_sharepoint()
    (made,) = conn.create([WriteRequest(ann(), Marker("db", "r1"))])
    assert {MARKER_COLUMN, DETAILS_COLUMN} <= set(fake.columns)
    assert not {MARKER_COLUMN, DETAILS_COLUMN} & {c["name"] for c in get(COLUMNS)["value"]}
    assert {MARKER_COLUMN, DETAILS_COLUMN} <= {c["name"] for c in get(COLUMNS + "?$select=name,hidden")["value"]}
    rid = made.ref.remote_id
    assert MARKER_COLUMN not in get(f"{ITEMS}/{rid}?$expand=fields")["fields"]
    assert get(f"{ITEMS}/{rid}?$expand=fields($select=Title,{MARKER_COLUMN})")["fields"][MARKER_COLUMN] == "db:r1"


def test_s1_a_column_another_hub_added_meanwhile_is_not_added_again(monkeypatch):
    with FakeSharePoint(hidden_columns=HUB_COLUMNS) as fake:
        shown = fake._columns
        first = []

        def listing_before_the_other_hub(method, params, body):
            if method == "GET" and not first:  # the first listing was made before the other hub added them
                first.append(1)
                return 200, {}, {"value": [c for c in shown("GET", params, None)[2]["value"] if c["name"] not in HUB_COLUMNS]}
            return shown(method, params, body)

        monkeypatch.setattr(fake, "_columns", listing_before_the_other_hub)
        open_sharepoint().check()  # the refused POST (a duplicate) is no error: the column is there
        assert len([c for c in fake.calls if c[0] == "POST"]) == 1


def test_s3_the_etag_kept_after_an_update_is_the_one_delta_reports():
    with FakeSharePoint(hidden_columns=HUB_COLUMNS) as fake:
        conn = open_sharepoint()
        (made,) = conn.create([WriteRequest(ann(), Marker("db", "r1"))])
        start = conn.changes("")
        (updated,) = conn.update([WriteRequest(ann().copy(title="Buyer"), Marker("db", "r1"), made.ref.remote_id, made.ref.etag)])
        (seen,) = conn.changes(start.token).changed
        assert updated.ok and updated.ref.etag == seen.etag == fake._etag(made.ref.remote_id)
        assert updated.ref.etag.startswith('"{') and fake.versions() == {made.ref.remote_id: 2}


def test_s4_an_edit_between_our_write_and_the_etag_read_is_left_for_the_next_pass(fake, monkeypatch):
    conn = open_sharepoint()
    (made,) = conn.create([WriteRequest(ann(), Marker("db", "r1"))])
    rid = made.ref.remote_id
    served = fake._one

    def user_edits_right_after_our_patch(method, iid, tail, params, headers, body):
        answer = served(method, iid, tail, params, headers, body)
        if method == "PATCH":
            fake.user_edit(iid, JobTitle="Edited in the browser")
        return answer

    monkeypatch.setattr(fake, "_one", user_edits_right_after_our_patch)
    (updated,) = conn.update([WriteRequest(ann(), Marker("db", "r1"), rid, made.ref.etag)])
    assert updated.ok and updated.ref.etag == ""  # not the browser's version: the next pass reads the item


def test_s12_a_stored_delta_link_is_taken_however_the_service_spells_it(conn):
    documented = f"{ITEMS}/delta?token=MzslMjM0OzMjMDsxOzg"
    assert conn._our_delta_link(documented)
    assert conn._our_delta_link(f"{BASE}/sites('{SITE_ID}')/lists('{LIST_ID.upper()}')/items/delta?token=abc")
    for other in (documented.replace("graph.microsoft.com", "graph.example.com"), f"{ITEMS}?token=abc",
                  documented.replace(LIST_ID, "0be7f3c2-1111-4222-8333-944444444444"), documented + "\n"):  # fmt: skip
        assert not conn._our_delta_link(other)


def test_s12_a_no_change_pass_follows_the_stored_delta_link(fake):
    conn = open_sharepoint()
    for i in range(7):
        fake.user_create({"Title": f"P{i}"})
    first = conn.changes("")
    fake.requests.clear()
    again = open_sharepoint().changes(first.token)
    assert again.changed == [] and again.deleted == []
    assert [r for r in fake.requests if r[1].endswith("/items") or r[1].endswith("/items/delta")] == [("GET", f"/sites/{SITE_ID}/lists/{LIST_ID}/items/delta")]


def test_u4_a_refused_sign_in_during_writes_stops_the_pass_instead_of_failing_each_write(fake):
    conn = open_sharepoint(token=lambda force: "revoked-token")
    conn._site, conn._list, conn._columns = SITE_ID, LIST_ID, {"Title"}
    with pytest.raises(AuthError, match="sign-in was refused"):
        conn.create([WriteRequest(ann(), Marker("db", "r1"))])
