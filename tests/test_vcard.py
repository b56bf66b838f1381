"""vCard reading and writing: the dialect corpus, round trips, and bad input."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import vobject

from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed
from contacthub.vcard import read_vcards, to_vcard, to_vcards, with_groups

CORPUS = Path(__file__).parent / "data" / "vcards"
FILES = sorted(p.name for p in CORPUS.glob("*.vcf"))
GOOD_FILES = [f for f in FILES if f != "malformed.vcf"]


def read(name: str) -> list[Contact]:
    result = read_vcards((CORPUS / name).read_bytes(), name)
    assert result.problems == []
    return result.contacts


def one(name: str) -> Contact:
    [contact] = read(name)
    return contact


def round_trip(contact: Contact, version: str) -> Contact:
    result = read_vcards(to_vcard(contact, version))
    assert result.problems == []
    [back] = result.contacts
    return back


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    return text[:-2].split("\r\n")


# -- the corpus: every file, both versions ------------------------------------


def test_corpus_has_every_dialect():
    assert len(FILES) >= 12


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("name", GOOD_FILES)
def test_s2_corpus_round_trip_gives_equal_contacts(name, version):
    first = read(name)
    assert first, "every corpus file holds at least one card"
    again = read_vcards(to_vcards(first, version), "written")
    assert again.problems == []
    assert again.contacts == first


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("name", GOOD_FILES)
def test_s11_unknown_properties_survive_round_trip(name, version):
    def x_values(contacts):
        return [[(e.name, e.group, e.value) for e in c.extra if e.name.upper().startswith("X-")] for c in contacts]

    first = read(name)
    again = read_vcards(to_vcards(first, version)).contacts
    assert x_values(again) == x_values(first)


def test_s11_corpus_files_do_carry_unknown_properties():
    # The S11 round trip above proves something only if the corpus has X- properties.
    counted = sum(1 for name in GOOD_FILES for c in read(name) for e in c.extra if e.name.upper().startswith("X-"))
    assert counted >= 20


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("name", GOOD_FILES)
def test_output_is_crlf_folded_at_75_octets_with_uid_fn_n(name, version):
    for contact in read(name):
        text = to_vcard(contact, version)
        lines = physical_lines(text)
        assert "\n" not in text.replace("\r\n", "")
        assert all(len(line.encode("utf-8")) <= 75 for line in lines)
        assert lines[0] == "BEGIN:VCARD" and lines[1] == f"VERSION:{version}" and lines[-1] == "END:VCARD"
        unfolded = text.replace("\r\n ", "")
        assert f"\r\nUID:{contact.uid}\r\n" in unfolded
        assert re.search(r"\r\nFN[;:]", unfolded) and re.search(r"\r\nN[;:]", unfolded)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("name", GOOD_FILES)
def test_vobject_reads_what_we_write(name, version):
    for contact in read(name):
        card = vobject.readOne(to_vcard(contact, version))
        assert card.uid.value == contact.uid
        assert card.fn.value == contact.best_name()


# -- dialects --------------------------------------------------------------------


def test_android_quoted_printable_name_decodes():
    juergen, lukasz = read("android-2.1-qp.vcf")
    assert juergen.display_name == "Jürgen Groß"
    assert juergen.name == Name(family="Groß", given="Jürgen")
    assert lukasz.name.given == "Łukasz"
    assert lukasz.name.family == "Żółkiewski-Brzęczyszczykiewicz"  # soft break inside "ę"
    assert lukasz.display_name == "Łukasz Grzegorz Żółkiewski-Brzęczyszczykiewicz"


def test_android_soft_line_breaks_and_encoded_newline():
    juergen = read("android-2.1-qp.vcf")[0]
    assert juergen.addresses[0].street == "Straße des 17. Juni 135, Hinterhaus links, 3. Obergeschoss"
    # "=0D=0A" is a line break; the line after a soft break keeps its leading space.
    assert juergen.note == (
        "Erste Zeile\nZweite Zeile mit Umlauten: äöü ÄÖÜ ß, und ein sehr langer Satz damit es bricht."
    )
    assert juergen.organization == "Müller & Söhne GmbH"


def test_android_bare_21_params_become_types_and_pref():
    phones = read("android-2.1-qp.vcf")[0].phones
    assert [(p.types, p.pref) for p in phones] == [(["cell"], False), (["work", "voice"], False), (["home"], True)]


def test_android_qp_unknown_property_keeps_decoded_value_without_transfer_params():
    [custom] = [e for e in read("android-2.1-qp.vcf")[0].extra if e.name == "X-ANDROID-CUSTOM"]
    assert custom.value == "vnd.android.cursor.item/nickname;Jürgi;1;;;;;;;;;;;;;"
    assert custom.params == []


def test_outlook_windows_1252_decodes_with_and_without_charset():
    renee = one("outlook-2.1-windows-1252.vcf")
    assert renee.display_name == "Renée Lefèvre"  # CHARSET=Windows-1252
    assert renee.organization == "Café Crème SARL"  # no CHARSET: the file's fallback
    assert renee.org_units == ["Küche"]
    assert renee.note == "Spécialité: crème brûlée € 5,50"  # QP, no CHARSET
    assert renee.addresses[0].locality == "Besançon"


def test_outlook_label_and_postal_default_stay_as_unknown_properties():
    extra = {e.name: e for e in one("outlook-2.1-windows-1252.vcf").extra}
    assert extra["LABEL"].value == "12 rue de l'Église\\n25000 Besançon\\nFrance"
    assert extra["LABEL"].params == [("TYPE", "WORK"), ("TYPE", "PREF")]
    assert extra["X-MS-OL-DEFAULT-POSTAL-ADDRESS"].value == "2"
    assert "REV" not in extra  # the storing app's clock, not contact data (SERVER_CLOCK)


def test_outlook_email_pref_internet():
    assert one("outlook-2.1-windows-1252.vcf").emails == [Typed("renee@cafe-creme.example", [], "", True)]


def test_apple_labels_land_on_the_right_values():
    johnny = one("apple-ios.vcf")
    assert [(e.value, e.label, e.pref) for e in johnny.emails] == [
        ("johnny@icloud.com", "Other", True),
        ("j.appleseed@sideproject.example", "Side project", False),
        ("jappleseed@apple.example", "", False),
    ]
    assert [p.label for p in johnny.phones] == ["", "Boat phone", ""]
    assert [a.label for a in johnny.addresses] == ["", "Work"]
    assert johnny.urls == [Typed("https://www.apple.example/johnny", [], "HomePage", True, group="item6")]


def test_apple_labels_are_written_back_in_apple_form():
    text = to_vcard(one("apple-ios.vcf")).replace("\r\n ", "")
    assert "\r\nitem1.EMAIL;TYPE=pref:johnny@icloud.com\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n" in text
    assert "\r\nitem2.X-ABLabel:Side project\r\n" in text


def test_apple_group_mates_stay_with_their_address():
    johnny = one("apple-ios.vcf")
    text = to_vcard(johnny).replace("\r\n ", "")
    home_group = re.search(r"\r\n(item\d+)\.ADR;TYPE=home,pref:", text).group(1)
    assert f"\r\n{home_group}.X-ABADR:us\r\n" in text
    # Labels of unmodelled properties keep their group too.
    date_group = re.search(r"\r\n(item\d+)\.X-ABDATE", text).group(1)
    assert f"\r\n{date_group}.X-ABLabel:_$!<Anniversary>!$_\r\n" in text


def test_apple_photo_birthday_and_unknowns():
    johnny = one("apple-ios.vcf")
    assert johnny.photo.media_type == "image/png"
    assert johnny.photo.data.startswith(b"\x89PNG")
    assert johnny.birthday == "--05-17"  # X-APPLE-OMIT-YEAR=1604
    assert johnny.ims == [Typed("skype:johnny.appleseed", ["home"], "", True, [("X-SERVICE-TYPE", "Skype")])]
    extra = {e.name: e.value for e in johnny.extra}
    assert extra["X-ABUID"] == "5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE:ABPerson"
    assert extra["X-ABShowAs"] == "COMPANY"
    assert extra["X-SKYPE"] == "johnny.appleseed"  # legacy IM properties stay unknown
    assert johnny.nicknames == ["Johnny", "Apple"]
    assert (johnny.organization, johnny.org_units) == ("Apple Inc.", ["Engineering"])


def test_google_export():
    ann = one("google-3.0.vcf")
    assert ann.categories == ["myContacts", "Customers"]
    assert [(u.value, u.label) for u in ann.urls] == [
        ("http://example.com/ann", "HomePage"),
        ("https://github.example/ann", "PROFILE"),
    ]
    assert ann.phones[1] == Typed("+1 555-0199", [], "Boat", False, group="item1")
    assert ann.addresses[0].street == "12 Main St\nApt 4"
    assert ann.birthday == "1980-02-29"
    assert ann.note == "Met at the conference, 2019.\nLikes tea."
    assert ann.emails[0].types == ["home"]  # INTERNET is implied, dropped


def test_nextcloud_drops_rev_and_prodid_keeps_x_nextcloud():
    lucja = one("nextcloud-3.0.vcf")
    assert lucja.uid == "3f1b5c2e-8f1a-4c1e-9b4e-0c6a2d8e7f10"
    assert lucja.display_name == "Łucja Nowak"
    extra = {e.name: e for e in lucja.extra}
    assert "REV" not in extra  # the server's clock, not contact data (SERVER_CLOCK)
    assert extra["X-NEXTCLOUD-CIRCLE"].value == "friends"
    assert "PRODID" not in extra and "VERSION" not in extra


def test_thunderbird_40_pref_email_and_text_phones():
    anna = one("thunderbird-4.0.vcf")
    assert anna.emails[0] == Typed("anna.berg@work.example", ["work"], "", True)
    assert anna.emails[1].pref is False
    assert anna.phones[0] == Typed("+46 70 123 45 67", ["cell"], "", False, [("VALUE", "TEXT")])
    assert anna.note == "Line one\nLine two, with comma; and semicolon"
    assert (anna.birthday, anna.anniversary) == ("1985-03-12", "2010-06-05")
    assert anna.photo.media_type == "image/png" and anna.photo.data.startswith(b"\x89PNG")


def test_rfc6350_example():
    simon = one("rfc6350-example.vcf")
    assert simon.phones[0] == Typed("+1-418-656-9254;ext=102", ["work", "voice"], "", True)
    assert simon.phones[1].types == ["work", "cell", "voice", "video", "text"]
    assert simon.addresses[0].locality == "Quebec"  # folded line
    assert (simon.birthday, simon.anniversary) == ("--02-03", "2009-08-08")
    assert [(e.name, e.value) for e in simon.extra if e.name == "LANG"] == [("LANG", "fr"), ("LANG", "en")]


def test_rfc2426_examples_and_missing_uid():
    frank, tim = read("rfc2426-examples.vcf")
    assert frank.addresses[0].street == "6544 Battleford Drive"
    assert frank.addresses[0].types == ["work", "postal", "parcel"]
    assert [(e.value, e.pref) for e in frank.emails] == [
        ("Frank_Dawson@Lotus.com", True),
        ("fdawson@earthlink.net", False),
    ]
    assert tim.organization == "Netscape Communications Corp."
    assert frank.uid and tim.uid and frank.uid != tim.uid


def test_bom_file_parses():
    zoe = one("bom-utf8.vcf")
    assert (zoe.uid, zoe.display_name) == ("bom-1", "Zoë Ødegård")


def test_fold_inside_a_utf8_character_is_repaired():
    bjorn = one("fold-split-utf8.vcf")
    assert "Bjørn Fjørtoft knows the way." in bjorn.note
    assert bjorn.title.endswith("€ budgets and smørrebrød")
    assert bjorn.display_name == "Bjørn Fjørtoft"  # the file is still read as UTF-8


def test_several_cards_in_file_order_and_a_card_without_uid_gets_one():
    first, no_uid, acme = read("several.vcf")
    assert [first.uid, acme.uid] == ["several-1", "several-3"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", no_uid.uid)
    assert no_uid.note == "This card has no UID; the reader gives it one."


# -- bad input (U2) -----------------------------------------------------------


def test_u2_malformed_cards_are_reported_and_skipped():
    result = read_vcards((CORPUS / "malformed.vcf").read_bytes(), "malformed.vcf")
    assert [c.uid for c in result.contacts] == ["good-1", "good-3", "good-5"]
    assert len(result.problems) == 2
    assert result.problems[0].startswith("""malformed.vcf: card at line 6 (FN "Broken Two", UID "bad-2"): line 10: no ':'""")
    assert result.problems[1] == (
        'malformed.vcf: card at line 17 (FN "Never Ended Four", UID "bad-4"): BEGIN:VCARD without END:VCARD, skipped'
    )


def test_u2_card_cut_off_at_end_of_file():
    result = read_vcards("BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\n", "cut.vcf")
    assert [c.display_name for c in result.contacts] == ["A"]
    assert result.problems == ['cut.vcf: card at line 4 (FN "B"): BEGIN:VCARD without END:VCARD, skipped']


def test_u2_text_outside_cards_is_reported():
    result = read_vcards("BEGIN:VCARD\nFN:A\nEND:VCARD\ngarbage\nEND:VCARD\n", "x.vcf")
    assert [c.display_name for c in result.contacts] == ["A"]
    assert result.problems == ["x.vcf: line 4: text outside a card ignored", "x.vcf: line 5: END:VCARD outside a card ignored"]


def test_u2_undecodable_photo_keeps_the_card_and_the_property():
    card = "BEGIN:VCARD\nVERSION:3.0\nUID:p\nFN:P\nPHOTO;ENCODING=b;TYPE=JPEG:not*base64!\nEND:VCARD\n"
    result = read_vcards(card, "p.vcf")
    [contact] = result.contacts
    assert contact.photo is None
    assert contact.extra == [ExtraProperty("PHOTO", "not*base64!", [("ENCODING", "b"), ("TYPE", "JPEG")])]
    assert result.problems == [
        'p.vcf: card at line 1 (FN "P", UID "p"): line 5: PHOTO data cannot be decoded, kept as an unknown property'
    ]
    assert read_vcards(to_vcard(contact)).contacts == [contact]


def test_empty_input_reads_nothing():
    assert read_vcards(b"") == read_vcards("   \r\n") and read_vcards(b"").contacts == []


# -- reading details ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19700415", "1970-04-15"),
        ("1970-04-15", "1970-04-15"),
        ("1970-04-15T10:00:00Z", "1970-04-15"),
        ("--0415", "--04-15"),
        ("--04-15", "--04-15"),
        ("--0229", "--02-29"),
    ],
)
def test_birthday_forms_are_normalised(value, expected):
    [c] = read_vcards(f"BEGIN:VCARD\nFN:A\nBDAY:{value}\nANNIVERSARY:{value}\nEND:VCARD\n").contacts
    assert (c.birthday, c.anniversary) == (expected, expected)


@pytest.mark.parametrize("value", ["circa 1800", "19701315", "--1301"])
def test_birthday_that_is_no_date_stays_unknown(value):
    [c] = read_vcards(f"BEGIN:VCARD\nVERSION:4.0\nFN:A\nBDAY;VALUE=text:{value}\nEND:VCARD\n").contacts
    assert c.birthday == ""
    assert c.extra == [ExtraProperty("BDAY", value, [("VALUE", "text")])]


def test_x_anniversary_in_30():
    [c] = read_vcards("BEGIN:VCARD\nFN:A\nX-ANNIVERSARY:2001-06-01\nEND:VCARD\n").contacts
    assert c.anniversary == "2001-06-01" and c.extra == []


def test_second_single_valued_property_is_kept_as_unknown():
    [c] = read_vcards("BEGIN:VCARD\nFN:A\nFN:B\nNOTE:one\nNOTE:two\nEND:VCARD\n").contacts
    assert (c.display_name, c.note) == ("A", "one")
    assert [(e.name, e.value) for e in c.extra] == [("FN", "B"), ("NOTE", "two")]
    assert round_trip(c, "3.0") == c


def test_card_without_fn_gets_the_name_the_writer_puts_in_fn():
    [c] = read_vcards("BEGIN:VCARD\nN:Doe;Jane;;;\nEND:VCARD\n").contacts
    assert c.display_name == "Jane Doe"


def test_str_and_bytes_read_the_same():
    data = (CORPUS / "apple-ios.vcf").read_bytes()
    from_bytes = read_vcards(data).contacts
    from_str = read_vcards(data.decode("utf-8")).contacts
    for c in from_bytes + from_str:
        c.uid = ""
    assert from_bytes == from_str


def test_utf16_with_bom():
    text = "BEGIN:VCARD\r\nUID:u\r\nFN:Åsa\r\nEND:VCARD\r\n"
    [c] = read_vcards(b"\xff\xfe" + text.encode("utf-16-le")).contacts
    assert c.display_name == "Åsa"


def test_unknown_property_keeps_params_in_order_and_raw_value():
    card = 'BEGIN:VCARD\nFN:A\ngrp.X-THING;X-B=2;type=one,two;X-Q="a:b":raw\\,value\\n; with: stuff\nEND:VCARD\n'
    [c] = read_vcards(card).contacts
    [e] = c.extra
    assert e == ExtraProperty(
        "X-THING", "raw\\,value\\n; with: stuff", [("X-B", "2"), ("type", "one,two"), ("X-Q", '"a:b"')], "grp"
    )
    assert round_trip(c, "4.0").extra == [e]


def test_tel_uri_in_40_loses_its_scheme():
    [c] = read_vcards("BEGIN:VCARD\nVERSION:4.0\nFN:A\nTEL;VALUE=uri:tel:+1-555-0100\nEND:VCARD\n").contacts
    assert c.phones[0].value == "+1-555-0100"


def test_photo_uri_forms():
    c30 = read_vcards("BEGIN:VCARD\nFN:A\nPHOTO;VALUE=uri;TYPE=JPEG:http://x.example/a.jpg\nEND:VCARD\n").contacts[0]
    c40 = read_vcards("BEGIN:VCARD\nVERSION:4.0\nFN:A\nPHOTO;MEDIATYPE=image/jpeg:http://x.example/a.jpg\nEND:VCARD\n")
    assert c30.photo == Photo(uri="http://x.example/a.jpg", media_type="image/jpeg") == c40.contacts[0].photo


# -- writing details ----------------------------------------------------------


def full_contact() -> Contact:
    return Contact(
        uid="u-1",
        display_name="Ann Smith",
        name=Name("Smith", "Ann", "B.", "Dr.", "PhD"),
        nicknames=["Annie", "A, S"],
        organization="Smith; Sons",
        org_units=["R&D", "Lab 2"],
        title="Chief\\Engineer",
        role="Owner",
        emails=[Typed("ann@example.org", ["work"], "Other", True), Typed("a@b.example")],
        phones=[Typed("+1 555 0100", ["cell", "voice"], "Boat, mine", False)],
        addresses=[
            Address("1 Main St\nFloor 2", "Town", "ST", "12345", "Land", "PO 9", "Rear", ["home"], "Cabin", True)
        ],
        urls=[Typed("https://ex.example/a,b;c", ["home"], group="item5")],
        ims=[Typed("xmpp:ann@example.org", ["work"])],
        birthday="1970-04-15",
        anniversary="--06-01",
        note="Line 1\nLine 2, with; specials \\ and € ø",
        categories=["Customers", "VIP, gold"],
        photo=Photo(data=bytes(range(256)) * 4, media_type="image/jpeg"),
        extra=[
            ExtraProperty("X-CONTACTHUB-MARKER", "db-1;rec-9", [("X-DB", "main")]),
            ExtraProperty("X-ABADR", "us", [], "item5"),
        ],
    )


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_full_contact_round_trips(version):
    c = full_contact()
    assert round_trip(c, version) == with_groups(c)


def test_30_output_forms():
    text = to_vcard(full_contact(), "3.0").replace("\r\n ", "")
    assert "\r\nitem1.EMAIL;TYPE=work,pref:ann@example.org\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n" in text
    assert "\r\nBDAY:1970-04-15\r\n" in text and "\r\nX-ANNIVERSARY:--06-01\r\n" in text
    assert "\r\nPHOTO;ENCODING=b;TYPE=JPEG:" in text
    assert "\r\nNOTE:Line 1\\nLine 2\\, with\\; specials \\\\ and € ø\r\n" in text
    assert "\r\nitem5.URL;TYPE=home:https://ex.example/a,b;c\r\n" in text  # URIs not text-escaped; grouped with X-ABADR


def test_40_output_forms():
    text = to_vcard(full_contact(), "4.0").replace("\r\n ", "")
    assert "\r\nitem1.EMAIL;TYPE=work;PREF=1:ann@example.org\r\n" in text
    assert "\r\nBDAY:19700415\r\n" in text and "\r\nANNIVERSARY:--0601\r\n" in text
    expected = base64.b64encode(full_contact().photo.data).decode()
    assert f"\r\nPHOTO:data:image/jpeg;base64,{expected}\r\n" in text


def test_fn_comes_from_best_name_and_a_missing_uid_is_made():
    c = Contact(name=Name(family="Doe", given="Jane"))
    text = to_vcard(c)
    assert "\r\nFN:Jane Doe\r\n" in text and "\r\nN:Doe;Jane;;;\r\n" in text
    assert re.search(r"\r\nUID:[0-9a-f-]{36}\r\n", text)
    assert c.uid == ""  # writing does not change the contact


def test_long_multibyte_line_is_folded_at_75_octets_and_reads_back():
    c = Contact(uid="u", display_name="€" * 60, note="ø" * 200)
    lines = physical_lines(to_vcard(c))
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(len(line.encode("utf-8")) == 75 for line in lines)  # folded as late as the octets allow
    assert round_trip(c, "3.0") == c


def test_raw_value_with_line_break_cannot_inject_a_property():
    c = Contact(uid="u", display_name="A", extra=[ExtraProperty("X-EVIL", "a\r\nEND:VCARD\r\nBEGIN:VCARD")])
    result = read_vcards(to_vcard(c))
    assert len(result.contacts) == 1 and result.problems == []


def test_unsupported_version_is_refused():
    with pytest.raises(ValueError, match="2.1"):
        to_vcard(Contact(uid="u"), "2.1")
