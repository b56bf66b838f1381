"""U1 `contact list --search` and D1 `--type` through the CLI (store-level cases: tests/store/test_search.py)."""

from __future__ import annotations


def _names(run, *args: str) -> list[str]:
    return [r["contact"]["display_name"] for r in run.json("contact", "list", *args)]


def test_u1_contact_list_search_finds_by_any_field_ignoring_case_and_accents(run):
    run("contact", "add", "--name", "Hanne Dünker", "--phone", "+47 22 33 44 55", "--company", "Fjord AS")
    run("contact", "add", "--name", "ANDREA Rossi", "--email", "andrea@beispiel.example")
    run("contact", "add", "--name", "Bo Li", "--note", "met in Bergen")
    assert _names(run, "--search", "dunker") == ["Hanne Dünker"]
    assert _names(run, "--search", "andrea") == ["ANDREA Rossi"]
    assert _names(run, "--search", "22 33 44") == ["Hanne Dünker"]
    assert _names(run, "--search", "223344") == ["Hanne Dünker"]
    assert _names(run, "--search", "fjord") == ["Hanne Dünker"]
    assert _names(run, "--search", "beispiel") == ["ANDREA Rossi"]
    assert _names(run, "--search", "bergen") == ["Bo Li"]
    assert _names(run, "--search", "nobody") == []
    rows = run("contact", "list", "--search", "DÜNKER").stdout.splitlines()[1:]  # piped: a header, then one row each
    assert len(rows) == 1 and "\tHanne Dünker\t" in rows[0]


def test_d1_contact_list_type_business_contact_includes_types_based_on_it(run):
    run("type", "add", "Reseller", "--based-on", "business-contact")
    run("contact", "add", "--name", "Rita Reseller", "--type", "Reseller")
    run("contact", "add", "--name", "Ann Plain")
    assert _names(run, "--type", "business-contact") == ["Ann Plain", "Rita Reseller"]
    assert _names(run, "--type", "reseller") == ["Rita Reseller"]
    assert _names(run, "--type", "business-contact", "--search", "rita") == ["Rita Reseller"]


CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Åsa Import\r\nN:Import;Åsa;;;\r\nTITLE:Buyer\r\nEND:VCARD\r\n"


def test_u1_search_follows_import_and_sync(run, tmp_path):
    """Records written by an import and by a sync pass (an edit made on the phone) are found by their new text."""
    card = tmp_path / "in.vcf"
    card.write_text(CARD, encoding="utf-8", newline="")
    run("import", str(card))
    assert _names(run, "--search", "asa buyer") == ["Åsa Import"]
    folder = tmp_path / "phone"
    folder.mkdir()
    run("sync", "start", f"vcf:{folder}")
    (copy,) = folder.glob("*.vcf")
    copy.write_text(copy.read_text(encoding="utf-8").replace("TITLE:Buyer", "TITLE:Zeppelin pilot"), encoding="utf-8", newline="")
    run("sync", "run")
    assert _names(run, "--search", "zeppelin") == ["Åsa Import"]
    assert _names(run, "--search", "buyer") == []
