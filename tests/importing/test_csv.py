"""Outlook and Google contacts CSV: layouts and encodings detected, exported back, re-imported as unchanged (I1)."""

from __future__ import annotations

import csv
import io

import pytest

from contacthub.csv_io import read_csv
from contacthub.csv_layouts import OUTLOOK_HEADER
from contacthub.csv_write import write_csv

ANDREA = {
    "First Name": "Andrea", "Last Name": "Dunker", "Company": "Fabrikam", "Department": "Purchasing",
    "Job Title": "Einkäuferin", "Business Street": "Karl Johans gate 1", "Business City": "Oslo",
    "Business Postal Code": "0154", "Business Country/Region": "Norway", "Business Phone": "+47 22 33 44 55",
    "Mobile Phone": "+47 912 34 567", "Business Fax": "+47 22 33 44 56", "Birthday": "4/15/1970",
    "Anniversary": "0/0/00", "Categories": "Customers;Partners", "E-mail Address": "andrea@fabrikam.example",
    "E-mail Type": "SMTP", "E-mail Display Name": "Andrea Dunker (andrea@fabrikam.example)",
    "E-mail 2 Address": "andrea.dunker@privat.example", "E-mail 2 Type": "SMTP", "Gender": "Unspecified",
    "Priority": "Normal", "Sensitivity": "Normal", "Private": "False", "Spouse": "Jørgen", "Notes": "Met at the fair\r\nCall on Mondays",
    "Initials": "A.D.", "Web Page": "https://fabrikam.example/",
}  # fmt: skip
BJORN = {"First Name": "Björn", "Last Name": "Åström", "Home Phone": "+46 8 123 456 78", "Birthday": "0/0/00",
         "Gender": "Unspecified", "Priority": "Normal", "Sensitivity": "Normal", "Private": "False"}  # fmt: skip


def outlook_csv(rows: list[dict], encoding: str) -> bytes:
    """Outlook's export: every column of its header, in its order, quoted, CRLF."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=OUTLOOK_HEADER, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


# Google Contacts "Google CSV" export (the layout before 2023).
GOOGLE_OLD = (
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Given Name Yomi,Additional Name Yomi,Family Name Yomi,"
    "Name Prefix,Name Suffix,Initials,Nickname,Short Name,Maiden Name,Birthday,Gender,Location,Billing Information,"
    "Directory Server,Mileage,Occupation,Hobby,Sensitivity,Priority,Subject,Notes,Language,Photo,Group Membership,"
    "E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,"
    "Address 1 - Type,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,"
    "Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address,Organization 1 - Type,"
    "Organization 1 - Name,Organization 1 - Yomi Name,Organization 1 - Title,Organization 1 - Department,"
    "Organization 1 - Symbol,Organization 1 - Location,Organization 1 - Job Description,Website 1 - Type,"
    "Website 1 - Value,Custom Field 1 - Type,Custom Field 1 - Value\r\n"
    "Chen Wei,Wei,,Chen,,,,,,,,,,,1980-02-29,,,,,,,,,,,Prefers WeChat,,,* myContacts ::: Suppliers,"
    "* Work,chen.wei@example.cn ::: chen@northwind.example,Home,chen@home.example,Mobile,+86 138 0013 8000,"
    "Work,\"1 Road\nShanghai\",1 Road,Shanghai,,,200000,China,,,Northwind Traders,,Buyer,Import,,,,"
    ",https://northwind.example,Account no,N-4711\r\n"
)
# The layout Google Contacts exports since 2023.
GOOGLE_NEW = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,Phonetic Last Name,Name Prefix,"
    "Name Suffix,Nickname,File As,Organization Name,Organization Title,Organization Department,Birthday,Notes,Photo,"
    "Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\r\n"
    "Ngozi,,Okafor,,,,,,,,Tailspin Toys,CEO,,,,,* myContacts ::: Partners,Work,ngozi@tailspin.example,Mobile,+234 803 123 4567\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "windows-1252"])
def test_outlook_csv_is_read_in_each_encoding_outlook_writes(encoding):
    result = read_csv(outlook_csv([ANDREA, BJORN], encoding), source="contacts.csv")
    assert result.problems == []
    andrea, bjorn = result.contacts
    assert (andrea.name.given, andrea.name.family, andrea.organization, andrea.title) == ("Andrea", "Dunker", "Fabrikam", "Einkäuferin")
    assert andrea.org_units == ["Purchasing"] and andrea.birthday == "1970-04-15" and andrea.anniversary == ""
    assert [(e.value, e.types) for e in andrea.emails] == [("andrea@fabrikam.example", []), ("andrea.dunker@privat.example", [])]
    assert [(p.value, p.types) for p in andrea.phones] == [
        ("+47 912 34 567", ["cell"]), ("+47 22 33 44 56", ["work", "fax"]), ("+47 22 33 44 55", ["work"])
    ]
    (address,) = andrea.addresses
    assert (address.street, address.locality, address.postal_code, address.types) == ("Karl Johans gate 1", "Oslo", "0154", ["work"])
    assert andrea.categories == ["Customers", "Partners"] and andrea.note == "Met at the fair\nCall on Mondays"
    kept = {e.name: e.value for e in andrea.extra}
    assert kept == {"X-CSV-SPOUSE": "Jørgen", "X-CSV-INITIALS": "A.D."}  # Outlook's defaults are not kept
    assert (bjorn.name.given, bjorn.name.family) == ("Björn", "Åström")


def test_a_utf16_file_without_bom_is_detected_by_its_nul_bytes():
    data = outlook_csv([BJORN], "utf-16-le")
    assert read_csv(data).contacts[0].name.family == "Åström"


def test_google_csv_multi_values_types_groups_and_custom_fields():
    (chen,) = read_csv(GOOGLE_OLD.encode("utf-8")).contacts
    assert chen.display_name == "Chen Wei" and chen.birthday == "1980-02-29" and chen.note == "Prefers WeChat"
    assert [(e.value, e.types, e.pref) for e in chen.emails] == [
        ("chen.wei@example.cn", ["work"], True), ("chen@northwind.example", ["work"], True), ("chen@home.example", ["home"], False)
    ]
    assert [(p.value, p.types) for p in chen.phones] == [("+86 138 0013 8000", ["cell"])]
    assert chen.categories == ["Suppliers"]  # Google's own "* myContacts" is no category
    assert (chen.organization, chen.title, chen.org_units) == ("Northwind Traders", "Buyer", ["Import"])
    assert chen.addresses[0].locality == "Shanghai" and chen.urls[0].value == "https://northwind.example"
    assert {e.name: e.value for e in chen.extra} == {"X-CSV-CUSTOM-FIELD-1-TYPE": "Account no", "X-CSV-CUSTOM-FIELD-1-VALUE": "N-4711"}


def test_google_csv_2023_layout_is_read_too():
    (ngozi,) = read_csv(GOOGLE_NEW.encode("utf-8")).contacts
    assert (ngozi.name.given, ngozi.name.family, ngozi.organization, ngozi.title) == ("Ngozi", "Okafor", "Tailspin Toys", "CEO")
    assert ngozi.categories == ["Partners"] and ngozi.emails[0].types == ["work"] and ngozi.phones[0].types == ["cell"]


def test_a_csv_that_is_no_contacts_export_is_one_line_and_an_empty_row_is_no_contact():
    result = read_csv(b"sku,price\r\n1,2\r\n", source="prices.csv")
    assert result.contacts == [] and result.problems == ["prices.csv: not an Outlook or Google contacts CSV (header: sku, price)"]
    nameless = dict.fromkeys(["Gender"], "Unspecified")
    result = read_csv(outlook_csv([nameless, BJORN], "utf-8-sig"), source="c.csv")
    assert len(result.contacts) == 1 and result.problems == ["c.csv: line 2: no name, company, e-mail or phone, row skipped"]


@pytest.mark.parametrize("layout", ["outlook", "google"])
def test_what_is_written_reads_back_the_same(layout):
    contacts = read_csv(outlook_csv([ANDREA, BJORN], "utf-8-sig")).contacts
    data, warnings = write_csv(contacts, layout)
    assert warnings == []
    assert data.startswith(b"\xef\xbb\xbf") == (layout == "outlook")
    again = read_csv(data).contacts
    fields = ("name", "organization", "org_units", "title", "birthday", "categories", "note")
    for before, after in zip(contacts, again, strict=True):
        assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
        assert [(p.value, p.types) for p in after.phones] == [(p.value, p.types) for p in before.phones]
        assert [e.value for e in after.emails] == [e.value for e in before.emails]
        assert [(a.street, a.locality, a.types) for a in after.addresses] == [(a.street, a.locality, a.types) for a in before.addresses]
    assert {e.name: e.value for e in again[0].extra} == {"X-CSV-SPOUSE": "Jørgen", "X-CSV-INITIALS": "A.D."}


def test_i1_csv_imported_twice_and_the_hubs_own_csv_export_add_nothing(run, tmp_path):
    path = tmp_path / "outlook.csv"
    path.write_bytes(outlook_csv([ANDREA, BJORN], "utf-16"))
    assert "2 added" in run("import", str(path)).stdout
    assert "0 added, 0 updated, 2 unchanged" in run("import", str(path)).stdout
    (tmp_path / "google.csv").write_bytes(GOOGLE_OLD.encode("utf-8"))
    assert "1 added" in run("import", str(tmp_path / "google.csv")).stdout
    for layout in ("outlook", "google"):
        out = tmp_path / f"export-{layout}.csv"
        run("export", str(out), "--format", "csv", "--csv-layout", layout)
        assert "0 added, 0 updated, 3 unchanged" in run("import", str(out)).stdout, layout
    run("export", str(tmp_path / "all.vcf"))
    assert "0 added, 0 updated, 3 unchanged" in run("import", str(tmp_path / "all.vcf")).stdout
    assert len(run.json("contact", "list")) == 3
