"""Every sync behaviour through the CLI, on a real folder of .vcf files (S1–S11, C1–C2, A1–A3, W1–W3, U1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub.vcard import read_vcards

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"
PLAIN = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:plain-1\r\nFN:Phone Friend\r\nN:Friend;Phone;;;\r\nEND:VCARD\r\n"


def copies(folder: Path) -> dict[str, tuple[Path, object]]:
    """record id -> (file, contact) for every synced copy in the folder; plain and unreadable files left out."""
    found = {}
    for file in folder.glob("*.vcf"):
        contacts = read_vcards(file.read_bytes(), str(file)).contacts
        if not contacts:
            continue
        [contact] = contacts
        marker = {e.name: e.value for e in contact.extra if e.name.startswith("X-CONTACTHUB-")}
        if marker:
            record_id = marker["X-CONTACTHUB-RECORD"]
            assert record_id not in found, f"two copies of record {record_id}"
            contact.extra = [e for e in contact.extra if not e.name.startswith("X-CONTACTHUB-")]
            found[record_id] = (file, contact)
    return found


def records(run, *args: str) -> dict[str, dict]:
    return {r["id"]: r for r in run.json("contact", "list", *args)}


def rewrite(file: Path, old: str, new: str) -> None:
    """Edit a copy as another app would: change a line and write the file again."""
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8", newline="")


@pytest.fixture
def phone(tmp_path, run) -> Path:
    """The example contacts, synced to a fresh .vcf folder, plus one plain contact the user made there."""
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "mine.vcf").write_text(PLAIN, newline="")
    run("import", str(EXAMPLES))
    run("sync", "start", f"vcf:{folder}")
    return folder


def test_s1_s2_start_copies_every_business_contact_identically(run, tmp_path):
    folder = tmp_path / "phone"
    run("import", str(EXAMPLES))
    run("contact", "add", "--company", "Acme Ltd", "--type", "account")
    out = run("sync", "start", f"vcf:{folder}", "--create").stdout
    assert "3 create-copy" in out
    synced = copies(folder)
    business = {rid: r for rid, r in records(run).items() if r["type"] == "business-contact"}
    assert synced.keys() == business.keys()
    for record_id, (_file, contact) in synced.items():
        assert contact.to_dict() == business[record_id]["contact"]


def test_s3_a_database_edit_reaches_the_copy(run, phone):
    record_id = next(iter(copies(phone)))
    run("contact", "edit", record_id, "--title", "Chief buyer")
    run("sync", "run")
    assert copies(phone)[record_id][1].title == "Chief buyer"


def test_s4_an_edit_on_the_phone_reaches_the_record(run, phone):
    record_id, (file, _contact) = next((rid, c) for rid, c in copies(phone).items() if c[1].title)
    rewrite(file, "TITLE:Purchasing manager", "TITLE:Edited on the phone")
    run("sync", "run")
    assert records(run)[record_id]["contact"]["title"] == "Edited on the phone"
    history = run.json("contact", "history", record_id)
    assert history[-1]["source"].startswith("sync:vcf:") and history[-1]["previous"]["title"] == "Purchasing manager"


def test_s5_deleting_a_copy_moves_its_record_to_deleted_items(run, phone):
    record_id, (file, _contact) = next(iter(copies(phone).items()))
    file.unlink()
    run("sync", "run")
    deleted = records(run, "--deleted")
    assert deleted[record_id]["deleted_reason"] == "target"
    assert len(records(run)) == 2  # the others stay


def test_s13_a_renamed_and_edited_copy_keeps_its_record_and_the_edit(run, phone):
    """Issue 10's report: a file manager renames a copy, then it is edited; no warning, no trash, no loss."""
    record_id, (file, _contact) = next((rid, c) for rid, c in copies(phone).items() if c[1].title)
    renamed = file.with_name("Tidied up.vcf")
    file.rename(renamed)
    rewrite(renamed, "TITLE:Purchasing manager", "TITLE:Edited after the rename")
    out = run("sync", "run")
    assert "second copy" not in out.output and "Deleted" not in out.output
    assert records(run)[record_id]["contact"]["title"] == "Edited after the rename"
    assert record_id not in records(run, "--deleted")
    run("sync", "run")
    assert copies(phone)[record_id][0] == renamed and not file.exists()
    assert copies(phone)[record_id][1].title == "Edited after the rename"


def test_s6_delete_removes_the_copy_and_restore_brings_it_back(run, phone):
    record_id = next(iter(copies(phone)))
    run("contact", "delete", record_id)
    run("sync", "run")
    assert record_id not in copies(phone)
    run("contact", "restore", record_id)
    run("sync", "run")
    assert record_id in copies(phone)


def test_s7_a_contact_made_on_the_phone_stays_plain(run, phone):
    run("sync", "run")
    assert (phone / "mine.vcf").read_bytes() == PLAIN.encode()  # untouched, byte for byte
    assert "Phone Friend" not in {r["contact"]["display_name"] for r in run.json("contact", "list")}
    listed = {r["remote_id"]: r for r in run.json("target", "list")}
    assert listed["mine.vcf"]["kind"] == "plain" and listed["mine.vcf"]["name"] == "Phone Friend"
    assert sum(1 for r in listed.values() if r["kind"] == "synced") == 3


def test_s9_retyped_and_filtered_records_lose_and_gain_copies(run, tmp_path):
    folder = tmp_path / "phone"
    run("import", str(EXAMPLES))
    run("sync", "start", f"vcf:{folder}", "--create", "--filter", "Customers", "--filter", "Partners")
    by_name = {r["contact"]["display_name"]: rid for rid, r in records(run).items()}
    assert copies(folder).keys() == {by_name["Andrea Dunker"], by_name["Jürgen Groß"]}
    run("contact", "edit", by_name["Andrea Dunker"], "--type", "account")
    run("contact", "edit", by_name["Northwind Traders"], "--category", "Customers")
    run("sync", "run")
    assert copies(folder).keys() == {by_name["Jürgen Groß"], by_name["Northwind Traders"]}


def test_t3_the_category_label_marks_copies_only(run, tmp_path):
    folder = tmp_path / "phone"
    run("import", str(EXAMPLES))
    run("sync", "start", f"vcf:{folder}", "--create", "--category", "Business")
    assert all("Business" in c.categories for _f, c in copies(folder).values())
    assert all("Business" not in r["contact"]["categories"] for r in records(run).values())


def test_s10_both_sides_changed_the_database_wins_and_the_loss_is_reported(run, phone):
    record_id, (file, _contact) = next((rid, c) for rid, c in copies(phone).items() if c[1].title)
    rewrite(file, "TITLE:Purchasing manager", "TITLE:Phone title")
    run("contact", "edit", record_id, "--title", "Office title", "--note", "office note")
    out = run("sync", "run").stdout
    assert "Conflict:" in out and "title" in out
    assert records(run)[record_id]["contact"]["title"] == "Office title"
    assert copies(phone)[record_id][1].title == "Office title"
    status = run.json("sync", "status")
    assert [(c["field"], c["target"], c["winner"]) for c in status["conflicts"]] == [("title", "Phone title", "database")]
    kept = [h["previous"]["title"] for h in run.json("contact", "history", record_id) if h["action"] == "conflict"]
    assert kept == ["Phone title"]


def test_s11_unknown_properties_added_on_the_phone_survive(run, phone):
    record_id, (file, _contact) = next(iter(copies(phone).items()))
    rewrite(file, "END:VCARD", "X-PHONE-APP;X-P=1:kept\\, as is\r\nEND:VCARD")
    run("sync", "run")
    extra = records(run)[record_id]["contact"]["extra"]
    assert {"name": "X-PHONE-APP", "value": "kept\\, as is", "params": [["X-P", "1"]], "group": ""} in extra
    run("contact", "edit", record_id, "--note", "edited in the office")
    run("sync", "run")
    assert "X-PHONE-APP;X-P=1:kept\\, as is" in copies(phone)[record_id][0].read_text()


def test_c1_stop_removes_exactly_the_copies(run, phone):
    before = records(run)
    run("sync", "stop")
    assert sorted(p.name for p in phone.iterdir()) == ["mine.vcf"]
    assert records(run) == before
    assert "not started" in run("sync", "run", ok=False).stderr


def test_c2_change_moves_the_copies_to_the_new_target(run, phone, tmp_path):
    other = tmp_path / "other"
    run("sync", "change", f"vcf:{other}", "--create")
    assert sorted(p.name for p in phone.iterdir()) == ["mine.vcf"]
    assert copies(other).keys() == records(run).keys()
    assert run.json("sync", "status")["target"] == f"vcf:{other}"


def test_a1_a2_copy_a_plain_contact_in_as_a_business_contact(run, phone):
    out = run("adopt", "mine.vcf", "--as", "business-contact").stdout
    assert "it is synced" in out
    run("sync", "run")
    assert (phone / "mine.vcf").read_bytes() == PLAIN.encode()  # copy: the plain contact stays
    adopted = [r for r in records(run).values() if r["contact"]["display_name"] == "Phone Friend"]
    assert len(adopted) == 1 and adopted[0]["contact"]["uid"] != "plain-1"  # no UID twin in the folder
    assert adopted[0]["id"] in copies(phone)


def test_a2_move_turns_the_plain_contact_into_the_synced_copy(run, phone):
    run("adopt", "mine.vcf", "--as", "business-contact", "--move")
    [adopted] = [r for r in records(run).values() if r["contact"]["display_name"] == "Phone Friend"]
    file, contact = copies(phone)[adopted["id"]]
    assert file.name == "mine.vcf" and contact.uid == "plain-1"
    run("sync", "run")
    assert len(list(phone.glob("*.vcf"))) == 4  # no second copy appeared


def test_a3_a_contact_moved_in_as_an_account_is_removed_and_not_synced(run, phone):
    run("adopt", "mine.vcf", "--as", "account", "--move")
    assert not (phone / "mine.vcf").exists()
    run("sync", "run")
    [adopted] = [r for r in records(run).values() if r["contact"]["display_name"] == "Phone Friend"]
    assert adopted["type"] == "account" and adopted["id"] not in copies(phone)


def test_adopt_refuses_a_synced_copy(run, phone):
    name = next(iter(copies(phone).values()))[0].name
    assert "is a synced copy" in run("adopt", name, "--as", "account", ok=False).stderr


def test_w1_switch_and_keep_leaves_the_old_copies(run, phone):
    old_ids = set(copies(phone))
    run("db", "create", "second")
    run("db", "use", "second", "--synced", "keep")
    assert set(copies(phone)) == old_ids  # still there, still marked for the first database
    run("contact", "add", "--name", "New One")
    run("sync", "run")  # W2: sync goes on, same target
    assert len(copies(phone)) == 4
    run("db", "use", "default", "--synced", "keep")
    assert records(run).keys() == old_ids  # the first database is unchanged


def test_w1_switch_and_delete_removes_the_old_copies(run, phone):
    before = records(run)
    run("db", "create", "second")
    run("db", "use", "second", "--synced", "delete")
    assert sorted(p.name for p in phone.iterdir()) == ["mine.vcf"]
    run("db", "use", "default")
    assert records(run) == before  # the previous database keeps its records


def test_w1_switch_and_import_takes_the_copies_over(run, phone):
    old = {r["contact"]["uid"] for r in records(run).values()}
    run("db", "create", "second")
    run("db", "use", "second", "--synced", "import")
    imported = records(run)
    assert {r["contact"]["uid"] for r in imported.values()} == old
    assert copies(phone).keys() == imported.keys()  # the copies now belong to the second database
    record_id, (file, _c) = next(iter(copies(phone).items()))
    run("contact", "edit", record_id, "--title", "Synced from the second")
    run("sync", "run")
    assert copies(phone)[record_id][1].title == "Synced from the second"


def test_w1_switching_without_a_choice_off_a_terminal_is_one_line(run, phone):
    run("db", "create", "second")
    result = run("db", "use", "second", ok=False)
    assert "choose --synced keep, delete or import" in result.stderr
    assert next(d for d in run.json("db", "list") if d["current"])["name"] == "default"


def test_w3_purge_deleted_removes_only_what_the_target_deleted(run, phone):
    ids = list(copies(phone))
    copies(phone)[ids[0]][0].unlink()
    run("sync", "run")
    run("contact", "delete", ids[1])
    assert "Purged 1 record" in run("sync", "purge-deleted").stdout
    deleted = records(run, "--deleted")
    assert ids[0] not in deleted and deleted[ids[1]]["deleted_reason"] == "user"


def test_u1_dry_run_lists_actions_per_side_and_changes_nothing(run, phone):
    record_id, (file, _c) = next((rid, c) for rid, c in copies(phone).items() if c[1].title)
    rewrite(file, "TITLE:Purchasing manager", "TITLE:Dry")
    run("contact", "add", "--name", "Dry Run")
    out = run("sync", "run", "--dry-run").stdout
    # labelled columns (piped: tab-separated, header first)
    assert out.splitlines()[0] == "Action\tWrites to\tRecord"
    assert "create-copy\ttarget\tDry Run" in out.splitlines()
    assert any(line.startswith("sync\tdatabase\t") for line in out.splitlines())
    assert records(run)[record_id]["contact"]["title"] == "Purchasing manager"
    assert len(copies(phone)) == 3


def test_u1_status_shows_target_counts_last_pass_and_pending(run, phone):
    run("contact", "add", "--name", "Pending Person")
    status = run.json("sync", "status")
    assert status["target"] == f"vcf:{phone}"
    assert (status["selected"], status["synced"], status["pending"]) == (4, 3, 1)
    assert status["last_pass_at"] and status["last_pass"]["done"] == {"create-copy": 3}
    assert "Synced copies:   3" in run("sync", "status").stdout


def test_u2_an_unknown_connector_is_one_line(run, tmp_path):
    result = run("sync", "start", f"nope:{tmp_path}", ok=False)
    assert "unknown connector 'nope'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_u2_a_malformed_file_on_the_phone_is_reported_and_the_rest_syncs(run, phone):
    record_id, (file, _c) = next(iter(copies(phone).items()))
    file.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:cut off by a crashing app\r\n")
    run("contact", "add", "--name", "Still Synced")
    result = run("sync", "run")
    assert file.name in result.stderr and "without END:VCARD" in result.stderr
    assert not records(run, "--deleted")  # a broken file is not a deleted one
    assert "Still Synced" in {c.display_name for _f, c in copies(phone).values()}


def test_a_pass_that_would_delete_most_copies_asks_for_force(run, phone):
    for file, _c in list(copies(phone).values())[:2]:
        file.unlink()
    result = run("sync", "run", ok=False)
    assert "--force" in result.stderr
    assert not records(run, "--deleted")
    run("sync", "run", "--force")
    assert len(records(run, "--deleted")) == 2


def test_a_second_pass_on_the_same_target_waits_its_turn(run, phone, home):
    from contacthub.cli.context import Hub
    from contacthub.sync.lock import pass_lock
    from contacthub.sync.target import sync_settings

    hub = Hub()
    settings = sync_settings(hub.config)
    with pass_lock(hub.database(), settings.target.key, hub.paths.data_dir):
        result = run("sync", "run", ok=False)
    assert "another sync pass" in result.stderr
    run("sync", "run")


def test_u1_a_record_updated_from_the_target_is_not_pending(run, phone):
    record_id, (file, _c) = next((rid, c) for rid, c in copies(phone).items() if c[1].title)
    rewrite(file, "TITLE:Purchasing manager", "TITLE:From the phone")
    run("sync", "run")
    assert records(run)[record_id]["contact"]["title"] == "From the phone"
    assert run.json("sync", "status")["pending"] == 0
    run("contact", "edit", record_id, "--note", "now it is")
    assert run.json("sync", "status")["pending"] == 1


def test_t1_one_target_at_a_time(run, phone, tmp_path):
    result = run("sync", "start", f"vcf:{tmp_path / 'second'}", ok=False)
    assert "sync already runs with" in result.stderr and "sync change" in result.stderr
    assert not (tmp_path / "second").exists()


def test_t2_every_target_kind_is_an_installed_connector(run):
    listed = {c["name"]: c for c in run.json("connectors")}
    assert {"vcf", "carddav", "ews", "graph", "sharepoint"} <= listed.keys()
    assert all(listed[name]["origin"] == "built-in" for name in ("vcf", "carddav", "ews", "graph", "sharepoint"))


def test_w2_sync_stays_on_with_the_same_target_after_a_switch(run, phone):
    run("db", "create", "second")
    run("db", "use", "second", "--synced", "delete")
    status = run.json("sync", "status")
    assert status["target"] == f"vcf:{phone}" and "second.sqlite" in status["database"]
    run("contact", "add", "--name", "Second Person")
    run("sync", "run")
    assert {c.display_name for _f, c in copies(phone).values()} == {"Second Person"}
