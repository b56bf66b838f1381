"""The web app in a real Chromium (issue 16): the sales trip on a phone-width page, adopt, import,
a conflict settled, a database switch, XSS; screenshots of the main pages at 360 and 1280 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from contacthub.vcard import read_vcards

PLAIN_ANDREA = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:plain-andrea\r\nFN:Andrea Plain\r\nN:Plain;Andrea;;;\r\nTEL;TYPE=CELL:+47 22 33 44 99\r\nEND:VCARD\r\n"


def copies(folder: Path) -> dict[str, object]:
    """Name -> contact of every synced copy (a card with our marker) in the folder."""
    found = {}
    for file in folder.glob("*.vcf"):
        for contact in read_vcards(file.read_bytes(), str(file)).contacts:
            if any(e.name == "X-CONTACTHUB-RECORD" for e in contact.extra):
                found[contact.best_name()] = contact
    return found


def names(run, *args: str) -> dict[str, dict]:
    return {r["contact"]["display_name"] or r["contact"]["organization"]: r for r in run.json("contact", "list", *args)}


def test_s6_u1_sales_trip_on_a_phone_delete_nick_add_andrea_sync_now(page, web, phone, run, shot):
    """Issue 16: search as you type, delete Nick (his copy leaves the target, he is in Deleted Items),
    add Andrea (her copy reaches the target after "sync now"), all at 360 px."""
    assert "Nick Nolte" in copies(phone)
    page.goto(web.url + "/contacts")
    search = page.get_by_label("Search")
    search.press_sequentially("nolte", delay=30)  # keyup: htmx asks for the rows, the page stays
    results = page.locator("#results")
    expect(results).to_contain_text("1 record")
    expect(results).not_to_contain_text("Andrea Dunker")
    shot(page, "contacts-search")
    results.get_by_role("link", name="Nick Nolte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nick Nolte")
    shot(page, "record")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deleted Items")
    expect(page.locator("#results")).to_contain_text("Nick Nolte")
    assert names(run, "--deleted")["Nick Nolte"]["deleted_reason"] == "user"

    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_label("Name").fill("Andrea Berg")
    page.get_by_label("Company").fill("Berg Reisen")
    page.get_by_label("Phones").fill("cell=+4917012345678")
    shot(page, "new-contact")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Andrea Berg")
    expect(page.locator(".fields")).to_contain_text("+49 170 12345678")  # formatted as the CLI does
    assert "Andrea Berg" not in copies(phone)

    page.get_by_role("link", name="Sync", exact=True).click()
    expect(page.locator("#pending")).to_have_text("2")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".flash.ok")).to_contain_text("Synced:")
    shot(page, "sync")
    synced = copies(phone)
    assert "Nick Nolte" not in synced and "Andrea Berg" in synced
    assert [p.value for p in synced["Andrea Berg"].phones] == ["+49 170 12345678"]


def test_a1_andrea_made_on_the_phone_is_adopted_from_the_web(page, web, phone, run):
    """The seed's variant: Andrea is a plain contact in the target; the sync page adopts her."""
    (phone / "andrea.vcf").write_text(PLAIN_ANDREA, newline="")
    page.goto(web.url + "/sync")
    adopt = page.get_by_role("button", name="Adopt Andrea Plain")
    expect(adopt).to_be_visible()
    adopt.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Andrea Plain")
    record = names(run)["Andrea Plain"]
    assert record["type"] == "business-contact" and record["contact"]["phones"][0]["value"] == "+47 22 33 44 99"


def test_i1_import_with_one_bad_card_shows_the_report(page, web, run):
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good Card\r\nEMAIL:good@x.example\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken Card\r\nEMAIL:broken@x.example\r\n"  # no END:VCARD
    )
    page.goto(web.url + "/import")
    page.get_by_label("A .vcf or .csv file").set_input_files(
        files=[{"name": "trip-cards.vcf", "mimeType": "text/vcard", "buffer": cards.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#report-counts")).to_have_text("1 added, 0 updated, 0 unchanged, 1 skipped")
    problems = page.locator(".problems")
    expect(problems).to_contain_text("trip-cards.vcf")
    expect(problems).to_contain_text("Broken Card")
    expect(problems).not_to_contain_text("/tmp/")  # the server's temporary path is not shown
    assert "Good Card" in names(run) and "Broken Card" not in names(run)


def test_s10_a_conflict_is_settled_in_the_browser_with_the_other_value(page, web, phone, run):
    name, contact = next((n, c) for n, c in copies(phone).items() if c.title)
    file = next(f for f in phone.glob("*.vcf") if name in f.read_text(encoding="utf-8"))
    file.write_text(file.read_text(encoding="utf-8").replace(f"TITLE:{contact.title}", "TITLE:Phone title"), newline="")
    run("contact", "edit", names(run)[name]["id"], "--title", "Office title")
    run("sync", "run")  # database wins: the phone's title is the loser
    page.goto(web.url + "/sync")
    conflict = page.locator(".conflict").first
    expect(conflict).to_contain_text("Database had: Office title (kept)")
    expect(conflict).to_contain_text("Target had: Phone title")
    conflict.get_by_role("button", name="Use the other value: Phone title").click()
    expect(page.locator(".flash.ok")).to_contain_text("the other value is kept now")
    assert names(run)[name]["contact"]["title"] == "Phone title"
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".flash.ok")).to_contain_text("Synced:")
    assert copies(phone)[name].title == "Phone title"


def test_w1_d2_database_switch_asks_about_the_copies_and_deletes_them(page, web, phone, run):
    page.goto(web.url + "/databases")
    page.get_by_label("Name").fill("travel")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".records")).to_contain_text("travel")
    page.get_by_role("button", name="Switch to travel").click()
    expect(page.locator("#ask-title")).to_have_text("Switch to travel")  # the CLI's question, as a form
    page.get_by_label("Delete them from the target").check()
    page.get_by_role("button", name="Switch", exact=True).click()
    expect(page.locator(".db")).to_have_text("Database: travel")
    expect(page.locator(".flash.ok")).to_contain_text("copies of default deleted")
    assert [d["name"] for d in run.json("db", "list") if d["current"]] == ["travel"]
    assert copies(phone) == {}


def test_u5_a_script_name_is_shown_as_text(page, web, run):
    """Output is escaped: a contact named <script>… is text on the list and on its page."""
    evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    run("contact", "add", "--name", evil)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(web.url + "/contacts")
    link = page.locator("#results a").first
    expect(link).to_have_text(evil)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(evil)
    assert page.evaluate("window.__xss") is None and dialogs == []


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_of_the_main_pages(page, web, phone, run, shot, width):
    """The main pages at a phone's and a desk's width, each readable: nothing wider than the screen."""
    page.set_viewport_size({"width": width, "height": 900})
    record_id = names(run)["Andrea Dunker"]["id"]
    run("contact", "edit", record_id, "--title", "Head of purchasing")
    for name, path in [("contacts", "/contacts"), ("record", f"/contacts/{record_id}"), ("edit", f"/contacts/{record_id}/edit"),
                       ("sync", "/sync"), ("import", "/import"), ("duplicates", "/duplicates"), ("databases", "/databases"), ("types", "/types")]:  # fmt: skip
        page.goto(web.url + path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than {width} px"
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
               .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
        )
        assert unlabelled == [], f"{path}: inputs without a label: {unlabelled}"
        shot(page, name)
    assert re.search(r"Head of purchasing", page.goto(web.url + f"/contacts/{record_id}").text())


def test_d4_u1_edit_adds_and_removes_single_values_and_revert_brings_a_version_back(page, web, run):
    """The edit form changes one e-mail/phone and keeps the others; history shows old → new; revert."""
    run("contact", "add", "--name", "Ola Nordmann", "--email", "ola@a.example", "--email", "ola@b.example", "--phone", "+4722334455")
    record_id = names(run)["Ola Nordmann"]["id"]
    page.goto(web.url + f"/contacts/{record_id}/edit")
    page.get_by_label("Remove ola@a.example").check()
    page.get_by_label("Add e-mail").fill("work=ola@c.example")
    page.get_by_label("Add phone").fill("cell=+47 900 11 222")
    page.get_by_label("Job title").fill("Skipper")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash.ok")).to_have_text("Saved Ola Nordmann.")
    contact = names(run)["Ola Nordmann"]["contact"]
    assert [e["value"] for e in contact["emails"]] == ["ola@b.example", "ola@c.example"]
    assert [p["value"] for p in contact["phones"]] == ["+47 22 33 44 55", "+47 90 01 12 22"]  # formatted by phonenumbers, as the CLI does
    history = page.locator(".history > li").first
    expect(history).to_contain_text("title: (none) → Skipper")
    expect(history).to_contain_text("emails: ola@a.example, ola@b.example → ola@b.example, ola@c.example (work)")
    page.get_by_role("button", name="Bring back version 1").click()
    expect(page.locator(".flash.ok")).to_contain_text("Brought back version 1 as version 3")
    contact = names(run)["Ola Nordmann"]["contact"]
    assert [e["value"] for e in contact["emails"]] == ["ola@a.example", "ola@b.example"] and contact["title"] == ""
