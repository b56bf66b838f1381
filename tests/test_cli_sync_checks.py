"""No silent mistakes when starting sync: a mistyped folder is refused (U2), a filter that selects nothing is named (T3)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"


def test_u2_sync_start_refuses_a_missing_folder_and_names_the_close_one(run, tmp_path):
    (tmp_path / "Phone").mkdir()
    run("import", str(EXAMPLES))
    result = run("sync", "start", f"vcf:{tmp_path / 'Phnoe'}", ok=False)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert f"{tmp_path / 'Phnoe'} does not exist" in line
    assert f"did you mean {tmp_path / 'Phone'}" in line and "--create" in line
    assert not (tmp_path / "Phnoe").exists()
    assert "not started" in run("sync", "status", ok=False).stderr


def test_u2_sync_start_create_makes_the_folder(run, tmp_path):
    run("import", str(EXAMPLES))
    run("sync", "start", f"vcf:{tmp_path / 'New' / 'Phone'}", "--create")
    assert len(list((tmp_path / "New" / "Phone").glob("*.vcf"))) == 3
    run("sync", "run")  # later passes find the folder made


def test_u2_a_target_table_may_allow_creating_its_folder(run, home, tmp_path):
    home.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "Phone"
    (home / "config.toml").write_text(f'[targets.phone]\nconnector = "vcf"\nlocation = "{folder}"\ncreate = true\n')
    run("sync", "start", "phone")
    assert folder.is_dir()


def test_u2_sync_change_refuses_a_missing_folder_too(run, tmp_path):
    (tmp_path / "Phone").mkdir()
    run("sync", "start", f"vcf:{tmp_path / 'Phone'}")
    result = run("sync", "change", f"vcf:{tmp_path / 'Other'}", ok=False)
    assert "does not exist" in result.stderr and not (tmp_path / "Other").exists()


def test_t3_a_filter_no_record_has_is_named_with_the_categories_that_exist(run, tmp_path):
    (tmp_path / "Phone").mkdir()
    run("import", str(EXAMPLES))
    result = run("sync", "start", f"vcf:{tmp_path / 'Phone'}", "--filter", "Custmers", "--filter", "Partners")
    [warning] = [line for line in result.stderr.splitlines() if "filter" in line]
    assert "'Custmers' matches no business contact" in warning
    assert "categories in use: Customers, Partners" in warning and "did you mean Customers?" in warning


def test_t3_a_filter_that_matches_gives_no_warning(run, tmp_path):
    (tmp_path / "Phone").mkdir()
    run("import", str(EXAMPLES))
    result = run("sync", "start", f"vcf:{tmp_path / 'Phone'}", "--filter", "customers")
    assert "matches no" not in result.stderr


def test_u1_sync_start_create_dry_run_makes_no_folder(run, tmp_path):
    run("import", str(EXAMPLES))
    out = run("sync", "start", f"vcf:{tmp_path / 'Phone'}", "--create", "--dry-run").stdout
    assert "Would make the missing folder" in out and str(tmp_path / "Phone") in out
    assert not (tmp_path / "Phone").exists()
    assert "not started" in run("sync", "status", ok=False).stderr
