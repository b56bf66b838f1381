"""`contacthub import` with issue 13's real exports: groups become categories, never people;
Samsung cards are kept; a binary file is one line (I2)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "vcards"


def people(run) -> dict[str, list[str]]:
    return {r["contact"]["display_name"]: r["contact"]["categories"] for r in run.json("contact", "list")}


def test_rfc6350_group_becomes_a_category_on_its_members_not_a_contact(run):
    result = run("import", str(CORPUS / "groups-4.0.vcf"))
    assert f"{CORPUS / 'groups-4.0.vcf'}: group 'The Doe family' → category on 2 contacts" in result.stdout
    assert "2 added, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    assert people(run) == {"John Doe": ["The Doe family"], "Jane Doe": ["The Doe family"]}


def test_i1_apple_group_imported_twice_adds_nothing(run):
    run("import", str(CORPUS / "apple-group-3.0.vcf"))
    again = run("import", str(CORPUS / "apple-group-3.0.vcf"))
    # (Whether the members count as "updated" or "unchanged" is the re-import merge's
    # business: a card replacing its record drops the category the group then adds back.)
    assert "0 added" in again.stdout and "0 skipped" in again.stdout
    assert "group 'Team' → category on 3 contacts" in again.stdout
    assert people(run) == {"Lise Hansen": ["Team"], "Jon Berg": ["Team"], "Mia Dahl": ["Team"]}


def test_a_group_card_reaches_members_imported_before_and_by_email(run, tmp_path):
    run("import", str(CORPUS / "apple-group-3.0.vcf"))
    group = tmp_path / "board.vcf"
    group.write_text(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Board\r\n"
        "MEMBER:urn:uuid:6a1f3c0e-5b8a-4e52-9e0b-1c2d3e4f5a61\r\n"  # Lise, UID in lower case
        "MEMBER:mailto:jon@team.example\r\n"
        "MEMBER:urn:uuid:00000000-0000-0000-0000-000000000000\r\n"
        "END:VCARD\r\n",
        newline="",
    )
    result = run("import", str(group))
    assert f"{group}: group 'Board' → category on 2 contacts (1 member not found)" in result.stdout
    assert people(run) == {"Lise Hansen": ["Team", "Board"], "Jon Berg": ["Team", "Board"], "Mia Dahl": ["Team"]}


def test_samsung_cards_with_custom_labels_are_imported_with_their_labels(run):
    assert "2 added" in run("import", str(CORPUS / "samsung-2.1-x-custom.vcf")).stdout
    [kari] = [r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Kari Østby"]
    assert [p["label"] for p in kari["contact"]["phones"]] == ["", "Mobile", "Båt"]


def test_i2_a_binary_file_is_one_line_and_fails(run, tmp_path):
    binary = tmp_path / "photo.vcf"
    binary.write_bytes(bytes(range(256)) * 400)
    result = run("import", str(binary), ok=False)
    assert result.stderr.strip().splitlines() == [
        f"Warning: {binary}: line 1: not a vCard file (it does not start with BEGIN:VCARD)"
    ]


def test_u2_a_synced_copy_turned_bad_is_one_warning_not_a_failed_pass(run, tmp_path):
    """The vcf connector reads with the same reader: a copy it now refuses (a NUL put in by
    another app) is one warning line for that file; the pass succeeds, the record stays."""
    folder = tmp_path / "phone"
    run("contact", "add", "--name", "Ann Smith", "--email", "ann@x.example")
    run("contact", "add", "--name", "Bob Jones")
    run("sync", "start", f"vcf:{folder}", "--create")
    [ann_file] = [f for f in folder.glob("*.vcf") if "Ann Smith" in f.read_text(encoding="utf-8")]
    text = ann_file.read_text(encoding="utf-8")
    ann_file.write_text(text.replace("FN:Ann Smith", "FN:Ann\0Smith"), encoding="utf-8", newline="")
    result = run("sync", "run")
    warnings = [line for line in result.stderr.splitlines() if ann_file.name in line]
    assert len(warnings) == 1 and "a NUL byte" in warnings[0]
    assert sorted(r["contact"]["display_name"] for r in run.json("contact", "list")) == ["Ann Smith", "Bob Jones"]
