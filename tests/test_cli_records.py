"""Records through the CLI: D1 (types), D3 (Deleted Items), D4 (history), U1 (--dry-run), U2."""

from __future__ import annotations

import pytest

ANDREA = [
    "--name", "Andrea Dunker", "--email", "andrea@fabrikam.example", "--phone", "+47 22 33 44 55",
    "--company", "Fabrikam", "--title", "Purchasing manager", "--category", "Customers",
]  # fmt: skip


def _add(run, *args: str) -> str:
    out = run("contact", "add", *args).stdout
    return out.split()[2].rstrip(":")  # "Added business-contact 1a2b3c4d: Name"


def test_init_creates_config_and_database(run, home):
    out = run("init").stdout
    assert (home / "config.toml").exists()
    assert (home / "data" / "databases" / "default.sqlite").exists()
    assert "(created)" in out
    assert "(created)" not in run("init").stdout  # running it again changes nothing


def test_add_then_show_keeps_every_given_field(run):
    record_id = _add(run, *ANDREA, "--address", "work=Karl Johans gate 1; Oslo; ; 0154; Norway", "--birthday", "--04-15")
    shown = run.json("contact", "show", record_id)
    contact = shown["contact"]
    assert shown["type"] == "business-contact"
    assert contact["display_name"] == "Andrea Dunker"
    assert (contact["name"]["given"], contact["name"]["family"]) == ("Andrea", "Dunker")
    assert contact["emails"][0]["value"] == "andrea@fabrikam.example"
    assert contact["phones"][0]["value"] == "+47 22 33 44 55"
    assert contact["organization"] == "Fabrikam" and contact["title"] == "Purchasing manager"
    assert contact["categories"] == ["Customers"]
    assert contact["addresses"][0]["locality"] == "Oslo" and contact["addresses"][0]["types"] == ["work"]
    assert contact["birthday"] == "--04-15"
    assert contact["uid"], "a new record gets a UID for its vCard copies"


def test_list_filters_by_category_and_type(run):
    _add(run, *ANDREA)
    _add(run, "--name", "Ben Berg", "--category", "Partners")
    _add(run, "--company", "Northwind", "--type", "account")
    assert [r["contact"]["display_name"] for r in run.json("contact", "list", "--category", "customers")] == ["Andrea Dunker"]
    assert [r["contact"]["organization"] for r in run.json("contact", "list", "--type", "account")] == ["Northwind"]
    assert len(run.json("contact", "list")) == 3


def test_d1_custom_types_follow_their_base(run):
    run("type", "add", "Reseller", "--based-on", "business-contact")
    run("type", "add", "Supplier", "--based-on", "account")
    types = {t["name"]: t for t in run.json("type", "list")}
    assert types["Reseller"]["synced"] is True and types["Reseller"]["builtin"] is False
    assert types["Supplier"]["synced"] is False
    assert types["business-contact"]["builtin"] and types["account"]["builtin"]
    record_id = _add(run, "--name", "Rita Reseller", "--type", "Reseller")
    assert run.json("contact", "show", record_id)["type"] == "Reseller"


def test_d1_unknown_type_is_one_line(run):
    result = run("contact", "add", "--name", "X", "--type", "Nope", ok=False)
    assert result.exit_code == 1
    assert "unknown record type 'Nope'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_d3_delete_restore_purge(run):
    record_id = _add(run, *ANDREA)
    run("contact", "delete", record_id)
    assert run.json("contact", "list") == []
    deleted = run.json("contact", "list", "--deleted")
    assert [r["id"][:8] for r in deleted] == [record_id] and deleted[0]["deleted_reason"] == "user"
    run("contact", "restore", record_id)
    assert [r["id"][:8] for r in run.json("contact", "list")] == [record_id]
    run("contact", "delete", record_id)
    run("contact", "purge", record_id)
    assert run.json("contact", "list", "--deleted") == []
    assert "no record" in run("contact", "show", record_id, ok=False).stderr


def test_d4_every_change_keeps_the_previous_version(run):
    record_id = _add(run, *ANDREA)
    run("contact", "edit", record_id, "--title", "Head of purchasing")
    run("contact", "edit", record_id, "--type", "account")
    run("contact", "delete", record_id)
    run("contact", "restore", record_id)
    history = run.json("contact", "history", record_id)
    assert [h["action"] for h in history] == ["create", "update", "retype", "delete", "restore"]
    assert history[1]["previous"]["title"] == "Purchasing manager"
    assert history[2]["previous"]["title"] == "Head of purchasing" and history[2]["type"] == "business-contact"
    assert all(h["source"] == "user" for h in history)


def test_edit_without_change_adds_no_history(run):
    record_id = _add(run, *ANDREA)
    assert "No change" in run("contact", "edit", record_id, "--title", "Purchasing manager").stdout
    assert len(run.json("contact", "history", record_id)) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["contact", "add", "--name", "Dry Run"],
        ["type", "add", "Dry", "--based-on", "account"],
    ],
)
def test_u1_dry_run_changes_nothing(run, command):
    before = (run.json("contact", "list"), run.json("type", "list"))
    assert "Would" in run(*command, "--dry-run").stdout
    assert (run.json("contact", "list"), run.json("type", "list")) == before


def test_u1_dry_run_edit_and_delete_change_nothing(run):
    record_id = _add(run, *ANDREA)
    run("contact", "edit", record_id, "--title", "Boss", "--dry-run")
    run("contact", "delete", record_id, "--dry-run")
    shown = run.json("contact", "show", record_id)
    assert shown["contact"]["title"] == "Purchasing manager" and shown["deleted_at"] is None


def test_u2_bad_input_is_one_line_without_traceback(run):
    for args, expected in [
        (["contact", "show", "ffffffff"], "no record"),
        (["contact", "add", "--name", "X", "--birthday", "15.04.1970"], "is not a date"),
        (["type", "add", "business-contact", "--based-on", "account"], "already exists"),
    ]:
        result = run(*args, ok=False)
        assert expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_u1_init_and_export_dry_runs_write_nothing(run, home, tmp_path):
    assert "(would be created)" in run("init", "--dry-run").stdout
    assert not (home / "config.toml").exists() and not (home / "data").exists()
    run("contact", "add", "--name", "Ann Export")
    assert "Would export 1 record" in run("export", str(tmp_path / "out.vcf"), "--dry-run").stdout
    assert not (tmp_path / "out.vcf").exists()
