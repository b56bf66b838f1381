"""Import matches cards to records: no twins on a second import, no erased fields, UID clashes kept (I1, D4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from real_exports import ANDROID, GOOGLE, MIX, MIX_NAMES, OUTLOOK_21, THUNDERBIRD, WINDOWS_CONTACTS, card

from contacthub.store import open_database
from contacthub.transfer import import_path


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    yield database
    database.dispose()


def _import(db, path: Path, **options):
    with db.transaction() as tx:
        return import_path(tx, path, "business-contact", **options)


def _records(db):
    with db.transaction(readonly=True) as tx:
        return tx.records.list()


def _write(tmp_path: Path, name: str, data: bytes | str | dict) -> Path:
    path = tmp_path / name
    if isinstance(data, dict):  # a folder of files
        path.mkdir()
        for file, content in data.items():
            _write(path, file, content)
        return path
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_i1_importing_the_same_uidless_export_twice_adds_nothing(db, tmp_path):
    mix = _write(tmp_path, "mix", MIX)
    first = _import(db, mix)
    assert (first.added, first.updated, first.unchanged, first.problems) == (6, 0, 0, [])
    second = _import(db, mix)
    assert (second.added, second.updated, second.unchanged, second.skipped) == (0, 0, 6, 0)
    assert sorted(r.contact.best_name() for r in _records(db)) == MIX_NAMES


@pytest.mark.parametrize("export", [OUTLOOK_21, ANDROID, GOOGLE, THUNDERBIRD, WINDOWS_CONTACTS])
def test_i1_each_apps_export_imported_twice_adds_nothing(db, tmp_path, export):
    path = _write(tmp_path, "export.vcf", export)
    count = _import(db, path).added
    again = _import(db, path)
    assert again.added == 0 and again.unchanged == count
    assert len(_records(db)) == count


def test_i1_a_partial_import_retried_adds_only_the_rest(db, tmp_path):
    _import(db, _write(tmp_path, "part", {k: MIX[k] for k in ("outlook.vcf", "android.vcf")}))  # a run that stopped
    retried = _import(db, _write(tmp_path, "mix", MIX))
    assert (retried.added, retried.unchanged) == (3, 3)
    assert sorted(r.contact.best_name() for r in _records(db)) == MIX_NAMES


def test_i1_a_pass_that_died_mid_import_leaves_nothing_half_and_the_retry_adds_each_card_once(db, tmp_path, monkeypatch):
    from contacthub import importing

    mix = _write(tmp_path, "mix", MIX)
    real, taken = importing.Importer.take, []

    def dying(self, *args, **kwargs):
        if len(taken) == 3:
            raise KeyboardInterrupt  # Ctrl-C mid-file
        taken.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(importing.Importer, "take", dying)
    with pytest.raises(KeyboardInterrupt):
        _import(db, mix)
    monkeypatch.setattr(importing.Importer, "take", real)
    assert _records(db) == []
    assert _import(db, mix).added == 6
    assert _import(db, mix).added == 0


def test_i1_a_record_edited_after_import_stays_as_edited_when_the_same_export_comes_again(db, tmp_path):
    path = _write(tmp_path, "outlook.vcf", OUTLOOK_21)
    _import(db, path)
    (record,) = _records(db)
    with db.transaction() as tx:
        tx.records.update(record.id, record.contact.copy(title="Head of purchasing"))
    again = _import(db, path)
    assert again.unchanged == 1 and again.updated == 0
    assert _records(db)[0].contact.title == "Head of purchasing"


def test_i1_the_vcf_the_hub_exported_imports_as_unchanged(db, tmp_path):
    from contacthub.transfer import export_vcards

    _import(db, _write(tmp_path, "mix", MIX))
    export_vcards(_records(db), tmp_path / "out.vcf")
    again = _import(db, tmp_path / "out.vcf")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)


def test_i1_a_card_already_made_by_hand_updates_that_record_instead_of_a_twin(db, tmp_path):
    from contacthub.model import Contact, Name, Typed

    with db.transaction() as tx:
        mine = tx.records.add(Contact(uid="by-hand", display_name="Andrea Dunker", name=Name("Dunker", "Andrea"),
                                      emails=[Typed("Andrea@Fabrikam.example")], categories=["Customers"]))  # fmt: skip
    report = _import(db, _write(tmp_path, "outlook.vcf", OUTLOOK_21))
    assert (report.added, report.updated) == (0, 1)
    (record,) = _records(db)
    assert record.id == mine.id and record.contact.uid == "by-hand"
    assert record.contact.categories == ["Customers"] and record.contact.title == "Einkäuferin"
    assert [p.value for p in record.contact.phones] == ["+47 22 33 44 55"]


def test_two_cards_sharing_a_uid_for_different_people_are_both_kept_and_reported(db, tmp_path):
    path = _write(tmp_path, "clash.vcf", card("same-uid", "Ann Archer", "EMAIL:ann@x.example") + card("same-uid", "Bob Baker", "EMAIL:bob@y.example"))
    report = _import(db, path)
    assert report.added == 2
    assert any("UID same-uid is already record" in n and "a different person; both kept" in n for n in report.notes)
    records = {r.contact.best_name(): r for r in _records(db)}
    assert set(records) == {"Ann Archer", "Bob Baker"}
    assert records["Ann Archer"].contact.uid == "same-uid" and records["Bob Baker"].contact.uid != "same-uid"
    again = _import(db, path)  # across imports too: still two, nothing overwritten
    assert (again.added, again.updated) == (0, 0) and len(_records(db)) == 2
    assert {r.contact.emails[0].value for r in _records(db)} == {"ann@x.example", "bob@y.example"}


def test_d4_a_same_uid_update_merges_field_by_field_and_keeps_the_old_version_in_history(db, tmp_path):
    first = card("ann-1", "Ann Archer", "EMAIL:ann@x.example", "TEL;TYPE=WORK:+47 22 33 44 55", "TITLE:Buyer", "NOTE:met at the fair")
    _import(db, _write(tmp_path, "v1.vcf", first))
    second = card("ann-1", "Ann Archer", "EMAIL:ann@x.example", "TITLE:Chief buyer", "EMAIL;TYPE=HOME:ann@home.example")
    report = _import(db, _write(tmp_path, "v2.vcf", second))
    assert (report.added, report.updated) == (0, 1)
    (record,) = _records(db)
    c = record.contact
    assert c.title == "Chief buyer"  # what the card says wins
    assert [p.value for p in c.phones] == ["+47 22 33 44 55"] and c.note == "met at the fair"  # what it does not say stays
    assert [e.value for e in c.emails] == ["ann@x.example", "ann@home.example"]
    with db.transaction(readonly=True) as tx:
        entries = tx.records.history(record.id)
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].contact.title == "Buyer"


def test_a_same_uid_card_repeated_in_one_file_is_one_record(db, tmp_path):
    text = card("u-1", "Ann Archer", "EMAIL:ann@x.example") + card("u-1", "Ann Archer", "TEL:+47 22 33 44 55")
    report = _import(db, _write(tmp_path, "twice.vcf", text))
    assert (report.added, report.updated) == (1, 1)
    (record,) = _records(db)
    assert record.contact.emails and record.contact.phones


def test_a_card_of_a_record_in_deleted_items_is_skipped_with_how_to_restore(db, tmp_path):
    path = _write(tmp_path, "mix.vcf", ANDROID)
    _import(db, path)
    victim = _records(db)[0]
    with db.transaction() as tx:
        tx.records.delete(victim.id)
    report = _import(db, path)
    assert (report.added, report.skipped) == (0, 1)
    assert any(f"contacthub contact restore {victim.id[:8]}" in n for n in report.notes)


def test_on_duplicate_policies_decide_what_a_less_certain_twin_does(db, tmp_path):
    base = card("a-1", "Andrea Dunker", "EMAIL:andrea@fabrikam.example")
    _import(db, _write(tmp_path, "a.vcf", base))
    twin = _write(tmp_path, "twin.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Andy Dunker\r\nN:Dunker;Andy;;;\r\nEMAIL:andrea@fabrikam.example\r\nTITLE:Buyer\r\nEND:VCARD\r\n")
    skipped = _import(db, twin, on_duplicate="skip")
    assert (skipped.added, skipped.skipped) == (0, 1) and "same e-mail andrea@fabrikam.example" in skipped.notes[0]
    asked = _import(db, twin, on_duplicate="ask", ask=None)  # no terminal: ask means skip, and says so
    assert asked.skipped == 1 and asked.notes[0].endswith("skipped (--on-duplicate ask without a terminal to ask)")
    updated = _import(db, twin, on_duplicate="update")
    assert updated.updated == 1 and len(_records(db)) == 1 and _records(db)[0].contact.title == "Buyer"
    answers = []
    chosen = _import(db, _write(tmp_path, "twin2.vcf", twin.read_bytes().replace(b"Buyer", b"Boss")), on_duplicate="ask",
                     ask=lambda card, record, score: answers.append(score.reasons) or "add")  # fmt: skip
    assert chosen.added == 1 and answers and len(_records(db)) == 2
    default = _import(db, _write(tmp_path, "twin3.vcf", twin.read_bytes().replace(b"Andy", b"Andi")))
    assert default.added == 1 and any("likely twin of" in n for n in default.notes)  # not sure enough to merge
    assert len(_records(db)) == 3


def test_i1_outlook_exporting_again_with_a_new_rev_is_unchanged_and_keeps_no_rev(db, tmp_path):
    _import(db, _write(tmp_path, "monday.vcf", OUTLOOK_21))
    later = OUTLOOK_21.replace(b"REV:20240101T120000Z", b"REV:20240301T080000Z")
    report = _import(db, _write(tmp_path, "friday.vcf", later))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    later_with_title = later.replace("Einkäuferin".encode("windows-1252"), b"Head of purchasing")
    changed = _import(db, _write(tmp_path, "next-month.vcf", later_with_title))
    assert changed.updated == 1
    (record,) = _records(db)
    assert record.contact.title == "Head of purchasing"
    # REV is the exporting app's clock, never record data (issue 12): no stale REV is kept or written back
    assert [e.name for e in record.contact.extra].count("REV") == 0


def test_i1_a_card_without_uid_is_told_from_one_with_a_uuid_uid():
    """Import reads with new_uids=False: a UID the file spells stays (any case), a missing one stays empty."""
    from contacthub.vcard import VCardStream

    text = card("6B29FC40-CA47-1067-B31D-00DD010662DA", "Apple Card") + card("0d4f7a8e-1b2c-4d3e-8f90-a1b2c3d4e5f6", "Lower Case")
    text += "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Uid\r\nEND:VCARD\r\n"
    apple, lower, none = VCardStream([text.encode()], "<test>", new_uids=False)
    assert (apple.uid, lower.uid) == ("6B29FC40-CA47-1067-B31D-00DD010662DA", "0d4f7a8e-1b2c-4d3e-8f90-a1b2c3d4e5f6")
    assert none.uid == ""  # not made up: import matches it by its content
