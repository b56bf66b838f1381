"""The contact list's search, filters and pages agree with the CLI's `contact list` (U1, D1) — through the app."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from contacthub.services import records
from contacthub.services.hub import Workspace
from contacthub.web.app import create_app

HX = {"HX-Request": "true", "HX-Target": "results"}


def ids(html: str) -> list[str]:
    return re.findall(r'href="/contacts/([0-9a-f-]{36})"', html)


def test_u1_pages_of_50_in_name_order_and_search_as_the_cli_finds(home, run):
    ws = Workspace()
    db = ws.database()
    for i in range(120):
        records.add(db, {"name": f"Person {i:03d}", "company": "Dünker AG" if i % 10 == 0 else "Other", "phones": (f"+47 22 33 {i:04d}",)})
    c = TestClient(create_app(ws, secret_key="k"))
    first = c.get("/contacts").text
    cli_order = [r["id"] for r in run.json("contact", "list")]
    assert ids(first) == cli_order[:50] and "120 records, 1–50 shown" in first and "offset=50" in first
    last = c.get("/contacts?offset=100").text
    assert ids(last) == cli_order[100:] and "Next" not in last and "offset=50" in last
    found = c.get("/contacts?q=dunker", headers=HX)  # accents and case ignored, as the CLI
    assert "<html" not in found.text  # search as you type gets the rows only
    assert ids(found.text) == [r["id"] for r in run.json("contact", "list", "--search", "dunker")]
    assert len(ids(found.text)) == 12
    by_digits = c.get("/contacts?q=22330042", headers=HX).text
    assert len(ids(by_digits)) == 1


def test_d1_type_filter_and_deleted_items(home, run):
    run("contact", "add", "--name", "Person One")
    run("contact", "add", "--company", "Acme Ltd", "--type", "account")
    gone = run("contact", "add", "--name", "Gone Person").stdout.split()[2].rstrip(":")
    run("contact", "delete", gone)
    c = TestClient(create_app(Workspace(), secret_key="k"))
    accounts = c.get("/contacts?type=account").text
    assert "Acme Ltd" in accounts and "Person One" not in accounts
    deleted = c.get("/contacts?deleted=1").text
    assert "Gone Person" in deleted and "Person One" not in deleted and "Deleted Items" in deleted
    assert "Gone Person" not in c.get("/contacts").text
    assert c.get("/contacts?type=no-such-type").status_code == 404


def test_u1_category_filter(home, run):
    run("contact", "add", "--name", "In Customers", "--category", "Customers")
    run("contact", "add", "--name", "Not In It")
    c = TestClient(create_app(Workspace(), secret_key="k"))
    page = c.get("/contacts?category=customers", headers=HX).text
    assert "In Customers" in page and "Not In It" not in page
