"""Issue 16 in a real Chromium: ticking rows on the list and exporting just those."""

from __future__ import annotations

from playwright.sync_api import expect

# A real 1×1 PNG (signature, IHDR, IDAT, IEND).
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")  # fmt: skip


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


def test_u1_photo_uploaded_on_the_form_is_drawn_under_the_csp(page, web, tmp_path):
    """The browser loads the photo from the same origin (img-src 'self'): it is drawn, 1×1 px."""
    picture = tmp_path / "me.png"
    picture.write_bytes(PNG)
    page.goto(web.url + "/contacts/new")
    page.get_by_label("Name").fill("Pia Photo")
    page.get_by_label("Photo (JPEG, PNG or GIF, at most 1 MiB)").set_input_files(str(picture))
    page.get_by_role("button", name="Save").click()
    image = page.get_by_role("img", name="Photo of Pia Photo")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
