"""`import` and `export` through the CLI: whole files, folders, bad cards, bad paths (U2)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"

GOOD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:;{name};;;\r\nX-CUSTOM;X-P=1:keep me\\, exactly\r\nEND:VCARD\r\n"


def test_import_file_then_again_adds_no_twins(run):
    assert "3 added" in run("import", str(EXAMPLES)).stdout
    again = run("import", str(EXAMPLES)).stdout
    assert "0 added, 0 updated, 3 unchanged" in again
    names = sorted(r["contact"]["display_name"] for r in run.json("contact", "list"))
    assert names == ["Andrea Dunker", "Jürgen Groß", "Northwind Traders"]


def test_import_as_a_type(run):
    run("type", "add", "Supplier", "--based-on", "account")
    run("import", str(EXAMPLES), "--as", "Supplier")
    assert {r["type"] for r in run.json("contact", "list")} == {"Supplier"}


def test_import_folder_reports_bad_cards_and_imports_the_rest(run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.vcf").write_text(GOOD.format(uid="a", name="Ann"), newline="")
    broken = GOOD.format(uid="b", name="Bob") + "BEGIN:VCARD\r\nVERSION:3.0\r\nthis line has no colon\r\nEND:VCARD\r\n"
    (folder / "b.vcf").write_text(broken + GOOD.format(uid="c", name="Cid"), newline="")
    result = run("import", str(folder))
    assert "3 added" in result.stdout and "1 skipped" in result.stdout
    assert f"{folder / 'b.vcf'}: card at line 8: line 10: no ':'" in result.stderr
    assert sorted(r["contact"]["uid"] for r in run.json("contact", "list")) == ["a", "b", "c"]


def test_u2_import_of_a_missing_path_or_unknown_type_fails_in_one_line(run, tmp_path):
    missing = run("import", str(tmp_path / "nope.vcf"), ok=False)
    assert f"no such file or folder: {tmp_path / 'nope.vcf'}" in missing.stderr
    unknown = run("import", str(EXAMPLES), "--as", "Nope", ok=False)
    assert "unknown record type 'Nope'" in unknown.stderr
    for result in (missing, unknown):
        assert len(result.stderr.strip().splitlines()) == 1
    assert run.json("contact", "list") == []


def test_import_where_every_card_is_bad_exits_non_zero(run, tmp_path):
    bad = tmp_path / "bad.vcf"
    bad.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nno colon here\r\nEND:VCARD\r\n")
    result = run("import", str(bad), ok=False)
    assert f"{bad}: card at line 1: line 3:" in result.stderr


def test_export_to_one_file_and_to_a_folder_round_trips(run, tmp_path):
    run("import", str(EXAMPLES))
    run("export", str(tmp_path / "all.vcf"))
    run("export", str(tmp_path / "folder"))
    files = sorted((tmp_path / "folder").glob("*.vcf"))
    assert len(files) == 3
    assert (tmp_path / "all.vcf").read_text(encoding="utf-8").count("BEGIN:VCARD") == 3
    before = {r["contact"]["uid"]: r["contact"] for r in run.json("contact", "list")}
    run("db", "create", "other", "--use")
    run("import", str(tmp_path / "folder"))
    after = {r["contact"]["uid"]: r["contact"] for r in run.json("contact", "list")}
    assert after == before


def test_s11_unknown_properties_survive_import_and_export(run, tmp_path):
    source = tmp_path / "x.vcf"
    source.write_text(GOOD.format(uid="x", name="Xena"), newline="")
    run("import", str(source))
    run("export", str(tmp_path / "out.vcf"))
    assert "X-CUSTOM;X-P=1:keep me\\, exactly" in (tmp_path / "out.vcf").read_text(encoding="utf-8")
