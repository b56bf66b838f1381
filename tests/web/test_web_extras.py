"""Issue 16 extras through the app: record types page, list order, export of a selection, photo."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from contacthub.services.hub import Workspace
from contacthub.web.app import create_app


def client() -> TestClient:
    return TestClient(create_app(Workspace(), secret_key="k"))


def test_d1_types_page_lists_each_type_with_kind_and_live_count(home, run):
    run("type", "add", "Reseller", "--based-on", "business-contact")
    run("contact", "add", "--name", "Ann One")
    run("contact", "add", "--name", "Bob Two")
    run("contact", "add", "--name", "Rita Reseller", "--type", "Reseller")
    gone = run("contact", "add", "--name", "Gone Person").stdout.split()[2].rstrip(":")
    run("contact", "delete", gone)
    c = client()
    html = c.get("/types").text
    rows = re.findall(r"<tr>\s*<td><a[^>]*>([^<]+)</a></td>\s*<td>([^<]+)</td>\s*<td[^>]*>(\d+)</td>", html)
    found = {name: (kind, int(n)) for name, kind, n in rows}
    assert found["Reseller"] == ("based on business-contact", 1)
    assert found["business-contact"] == ("built-in", 2)  # the deleted one is not counted
    assert found["account"] == ("built-in", 0)
    assert '<a href="/types">Types</a>' in c.get("/contacts").text  # linked from the nav
