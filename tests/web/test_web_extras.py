"""Issue 16 extras through the app: record types page, list order, export of a selection, photo."""

from __future__ import annotations

import re

import pytest
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


def names(html: str) -> list[str]:
    return re.findall(r'<a href="/contacts/[0-9a-f-]{36}"><strong>([^<]+)</strong>', html)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, run):
    """The default SQLite database, or a fresh PostgreSQL one made current (the order is SQL)."""
    if request.param == "postgresql":
        run("db", "create", "team", "--url", request.getfixturevalue("pg_url"), "--use")
    return request.param


def test_u1_list_sorts_by_name_company_or_last_changed_and_pages_keep_the_order(home, run, database):
    run("contact", "add", "--name", "Carl Zeta", "--company", "Alpha GmbH")
    run("contact", "add", "--name", "Anna Beta", "--company", "Zulu AS")
    run("contact", "add", "--name", "Bert Nocompany")
    run("contact", "add", "--name", "Dora Mid", "--company", "mid co")
    first = run.json("contact", "list")[0]["id"]  # Anna Beta, changed last below
    run("contact", "edit", first, "--title", "Boss")
    c = client()
    assert names(c.get("/contacts").text) == ["Anna Beta", "Bert Nocompany", "Carl Zeta", "Dora Mid"]
    assert names(c.get("/contacts?order=company").text) == ["Carl Zeta", "Dora Mid", "Anna Beta", "Bert Nocompany"]
    assert names(c.get("/contacts?order=changed").text) == ["Anna Beta", "Dora Mid", "Bert Nocompany", "Carl Zeta"]
    bad = c.get("/contacts?order=display_name;drop")  # not allow-listed: the default order, no error
    assert bad.status_code == 200 and names(bad.text)[0] == "Anna Beta"
    assert 'value="company" selected' in c.get("/contacts?order=company").text


def test_u1_paging_links_keep_the_order(home):
    from contacthub.services import records

    db = Workspace().database()
    for i in range(60):
        records.add(db, {"name": f"Person {i:02d}", "company": f"Co {59 - i:02d}"})
    c = client()
    first = c.get("/contacts?order=company").text
    assert names(first)[0] == "Person 59" and "order=company&amp;offset=50" in first
    second = c.get("/contacts?order=company&offset=50").text
    assert names(second) == [f"Person {i:02d}" for i in range(9, -1, -1)]
    assert "order=company&amp;offset=0" in second  # Previous keeps it too


def test_u1_export_selected_holds_only_the_chosen_records(home, run):
    """Issue 16: ticked rows, "Export selected as vCard / CSV": only those records are in the download."""
    for name in ("Ann One", "Bob Two", "Cid Three"):
        run("contact", "add", "--name", name, "--email", f"{name.split()[0].lower()}@example.com")
    by_name = {r["contact"]["display_name"]: r["id"] for r in run.json("contact", "list")}
    c = client()
    listing = c.get("/contacts").text
    assert f'name="id" value="{by_name["Bob Two"]}" form="selection"' in listing
    assert "Export selected as vCard" in listing and "Export selected as CSV" in listing
    chosen = [("id", ""), ("id", by_name["Ann One"]), ("id", by_name["Cid Three"][:8])]  # a prefix works too
    vcf = c.get("/export", params=[*chosen, ("format", "vcf")])
    assert vcf.status_code == 200 and vcf.headers["content-type"].startswith("text/vcard")
    assert vcf.text.count("BEGIN:VCARD") == 2 and "Ann One" in vcf.text and "Cid Three" in vcf.text
    assert "Bob Two" not in vcf.text
    csv = c.get("/export", params=[*chosen, ("format", "csv")])
    assert csv.headers["content-type"].startswith("text/csv")
    assert "ann@example.com" in csv.text and "cid@example.com" in csv.text and "bob@example.com" not in csv.text
    nothing = c.get("/export", params=[("id", ""), ("format", "vcf")])
    assert nothing.status_code == 400 and "Tick" in nothing.text  # not silently everything
    assert c.get("/export", params=[("id", "ffffffff-no"), ("format", "vcf")]).status_code == 404


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")  # fmt: skip
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def csrf(c: TestClient, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(url).text).group(1)


def test_u1_photo_upload_shown_served_as_its_image_type_replaced_and_removed(home, run):
    """Issue 16: the add form takes a photo; the record page shows it from /contacts/<id>/photo,
    served with the stored image type (never text/html); edit replaces or removes it."""
    c = client()
    token = csrf(c, "/contacts/new")
    added = c.post("/contacts/new", data={"csrf": token, "name": "Pia Photo"},
                   files={"photo": ("me.png", PNG, "text/html")}, follow_redirects=False)  # the sent type is ignored
    assert added.status_code == 303
    rid = added.headers["location"].rsplit("/", 1)[1]
    page = c.get(f"/contacts/{rid}").text
    assert f'<img class="photo" src="/contacts/{rid}/photo?v=1" alt="Photo of Pia Photo">' in page
    served = c.get(f"/contacts/{rid}/photo")
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert run.json("contact", "show", rid)["contact"]["photo"]["media_type"] == "image/png"  # as --photo stores it

    token = csrf(c, f"/contacts/{rid}/edit")
    assert 'name="remove_photo"' in c.get(f"/contacts/{rid}/edit").text
    c.post(f"/contacts/{rid}/edit", data={"csrf": token}, files={"photo": ("new.gif", GIF, "image/gif")})
    assert c.get(f"/contacts/{rid}/photo").headers["content-type"] == "image/gif"
    c.post(f"/contacts/{rid}/edit", data={"csrf": token, "remove_photo": "1"}, files={"photo": ("", b"", "application/octet-stream")})
    assert c.get(f"/contacts/{rid}/photo").status_code == 404
    assert "<img" not in c.get(f"/contacts/{rid}").text


def test_u2_photo_upload_refused_as_the_cli_refuses_it(home, run):
    """Not an image, or over 1 MiB: the form comes back with the CLI's one-line reason; nothing stored."""
    c = client()
    token = csrf(c, "/contacts/new")
    html = b"<html><script>alert(1)</script></html>"
    bad = c.post("/contacts/new", data={"csrf": token, "name": "Not Image"}, files={"photo": ("x.png", html, "image/png")})
    assert bad.status_code == 400 and "not a JPEG, PNG or GIF image" in bad.text
    big = c.post("/contacts/new", data={"csrf": token, "name": "Too Big"},
                 files={"photo": ("big.png", PNG + b"\0" * (1024 * 1024), "image/png")})  # fmt: skip
    assert big.status_code == 400 and "a photo may be at most 1.0 MiB" in big.text
    assert run.json("contact", "list") == []


def test_u1_a_stored_photo_typed_text_html_is_never_served_as_html(home, run):
    """A photo imported with a hostile media type is served as what its bytes are, or not at all."""
    from contacthub.model import Photo
    from contacthub.services import records

    db = Workspace().database()
    png = records.add(db, {"name": "Png Typed Html"}, photo=Photo(data=PNG, media_type="text/html"))
    junk = records.add(db, {"name": "Html Bytes"}, photo=Photo(data=b"<script>alert(1)</script>", media_type="text/html"))
    c = client()
    assert c.get(f"/contacts/{png.id}/photo").headers["content-type"] == "image/png"
    refused = c.get(f"/contacts/{junk.id}/photo")
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/plain")
