"""Issue 16 in a real Chromium: ticking rows on the list and exporting just those."""

from __future__ import annotations

from playwright.sync_api import expect


def test_u1_tick_two_rows_and_export_only_them_as_vcard(page, web, run, tmp_path):
    for name in ("Ann One", "Bob Two", "Cid Three"):
        run("contact", "add", "--name", name)
    page.goto(web.url + "/contacts")
    page.get_by_label("Select Ann One").check()
    page.get_by_label("Select Cid Three").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Export selected as vCard").click()
    text = info.value.path().read_text()
    assert text.count("BEGIN:VCARD") == 2 and "Ann One" in text and "Cid Three" in text and "Bob Two" not in text
    expect(page.get_by_label("Select Bob Two")).not_to_be_checked()
