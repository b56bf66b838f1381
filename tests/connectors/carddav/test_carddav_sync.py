"""The sync engine through the CardDAV connector, against Radicale and Xandikos (S1, S3, S4, S5, S7, S12, I3)."""

from __future__ import annotations

import pytest
from carddav_hub import CardDavHub, person

from contacthub.connectors.carddav import dav as dav_module
from contacthub.model import Contact, Typed
from contacthub.record_merge import merge_records
from contacthub.sync.state import TargetState


@pytest.fixture
def hub(tmp_path, server, book) -> CardDavHub:
    hub = CardDavHub(tmp_path, server, book)
    yield hub
    hub.db.dispose()


def test_s1_start_copies_every_business_contact_with_its_marker(hub):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.add(person("Acme"), type_name="account")
    hub.sync()
    copies = hub.copies()
    assert set(copies) == {ann, ben} and all(len(h) == 1 for h in copies.values())
    _href, card = hub.copy_card(ann)
    assert card.email.value == "ann@example.com"
    hub.assert_converged([ann, ben])


def test_s3_a_database_change_updates_the_copy(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing")
    hub.sync()
    assert hub.copy_card(ann)[1].title.value == "Head of purchasing"
    hub.assert_converged([ann])


def test_s4_a_change_on_the_phone_updates_the_record(hub):
    ann = hub.add(person("Ann", title="Buyer"))
    hub.sync()
    href, _card = hub.copy_card(ann)
    hub.phone.edit(href, r"^TITLE:Buyer", "TITLE:Chief buyer")
    hub.sync()
    assert hub.record(ann).contact.title == "Chief buyer"
    hub.assert_converged([ann])


def test_s5_deleting_a_copy_on_the_phone_moves_the_record_to_deleted_items(hub):
    ann, ben, cid = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    hub.phone.delete(hub.copy_card(ann)[0])
    hub.sync()
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert set(hub.copies()) == {ben, cid}


def test_s7_a_contact_made_on_the_phone_stays_plain_and_untouched(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    plain = hub.phone.create("Pat Plain", extra="TEL:+44 1632 960000\r\n")
    before = hub.phone.cards()[plain]
    etag = hub.phone.etags()[plain]
    result = hub.sync()
    assert result.plan.plain == 1
    with hub.db.transaction() as tx:
        assert [r.id for r in tx.records.list()] == [ann]  # never imported
    assert hub.phone.cards()[plain] == before and hub.phone.etags()[plain] == etag
    hub.assert_converged([ann])


def test_s12_a_pass_killed_mid_create_resumes_without_twins(hub, monkeypatch):
    ids = [hub.add(person(f"P{i}")) for i in range(6)]
    real = dav_module.Dav.request
    puts = []

    def dying(self, method, url, *args, **kwargs):
        if method == "PUT":
            puts.append(url)
            if len(puts) == 4:  # the process dies after three cards were written
                raise KeyboardInterrupt("killed")
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(dav_module.Dav, "request", dying)
    with pytest.raises(KeyboardInterrupt):
        hub.sync()
    monkeypatch.setattr(dav_module.Dav, "request", real)
    assert len(hub.copies()) == 3
    hub.sync()
    hub.assert_converged(ids)  # the three written before the kill were adopted, not duplicated


def test_s12_a_pass_killed_mid_update_loses_no_edit(hub, monkeypatch):
    ids = [hub.add(person(f"P{i}")) for i in range(4)]
    hub.sync()
    for record_id in ids:
        hub.edit(record_id, title="new")
    real = dav_module.Dav.request
    puts = []

    def dying(self, method, url, *args, **kwargs):
        if method == "PUT":
            puts.append(url)
            if len(puts) == 3:
                raise KeyboardInterrupt("killed")
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(dav_module.Dav, "request", dying)
    with pytest.raises(KeyboardInterrupt):
        hub.sync()
    monkeypatch.setattr(dav_module.Dav, "request", real)
    hub.phone.edit(hub.copy_card(ids[3])[0], r"^NOTE:.*$|^END:VCARD", "NOTE:phone note\r\nEND:VCARD")
    hub.sync()
    assert all(hub.record(i).contact.title == "new" for i in ids)
    assert hub.record(ids[3]).contact.note == "phone note"
    hub.assert_converged(ids)


def test_s12_an_invalid_stored_token_falls_back_to_a_full_listing(hub):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    with hub.db.transaction() as tx:  # the server forgot our token (Radicale: 403, Xandikos: 412)
        TargetState.get(tx.session, hub.settings.target.key).row.change_token = "http://example.com/ns/sync/forgotten"
    hub.phone.edit(hub.copy_card(ann)[0], r"^FN:Ann Tester", "FN:Ann Changed")
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    assert hub.record(ann).contact.display_name == "Ann Changed"
    assert not hub.record(ben).is_deleted  # a full listing, never "everything was deleted"
    hub.assert_converged([ann, ben])


def test_i3_after_a_merge_b_copy_is_removed_and_a_copy_carries_the_merged_fields(hub):
    a = hub.add(person("Ann", title="Buyer"))
    twin = person("Ann", emails=[Typed("ann@home.example", ["home"])], phones=[Typed("+47 22 33 44 55", ["cell"])])
    b = hub.add(twin.copy(uid="uid-ann-2"))  # a server keeps one card per UID
    hub.sync()
    assert set(hub.copies()) == {a, b}
    with hub.db.transaction() as tx:
        merge_records(tx, a, b)
    result = hub.sync()
    assert result.report.done.get("delete-copy") == 1 and not result.report.problems
    assert set(hub.copies()) == {a}
    _href, card = hub.copy_card(a)
    assert sorted(e.value for e in card.contents["email"]) == ["ann@example.com", "ann@home.example"]
    assert card.tel.value == "+47 22 33 44 55"
    with hub.db.transaction(readonly=True) as tx:
        assert tx.records.list(deleted=True) == []
    hub.assert_converged([a])


def test_s3_a_record_without_uid_keeps_one_uid_on_its_copy_across_edits(hub):
    # Records pulled from Graph or EWS carry no UID (those services have none); an edit
    # must update the copy under the UID it was created with, not a new one per render
    # (Radicale refuses a changed UID with 409 no-uid-conflict, others make a twin).
    ann = hub.add(person("Ann", title="Buyer").copy(uid=""))
    hub.sync()
    _href, card = hub.copy_card(ann)
    first_uid = card.uid.value
    assert first_uid
    hub.edit(ann, title="Head of purchasing")
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    _href, card = hub.copy_card(ann)
    assert card.title.value == "Head of purchasing" and card.uid.value == first_uid
    hub.assert_converged([ann])


def test_s3_a_copy_an_older_version_made_of_a_record_without_uid_is_updated_under_its_own_uid(hub, monkeypatch):
    # Before records without UID were read with their id as UID, each rendering made one
    # up: the copy holds a made-up UID and its link's base none. The record takes the
    # copy's UID once, so the edit goes out instead of a 409 on every pass.
    from contacthub.store import reading, records

    def old_reading(record_id, data):
        return Contact.from_dict(data)

    monkeypatch.setattr(reading, "record_contact", old_reading)
    monkeypatch.setattr(records, "record_contact", old_reading)
    ann = hub.add(person("Ann", title="Buyer").copy(uid=""))
    hub.sync()
    monkeypatch.undo()
    _href, card = hub.copy_card(ann)
    made_up = card.uid.value
    assert made_up != ann
    hub.edit(ann, title="Head of purchasing")
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    _href, card = hub.copy_card(ann)
    assert card.title.value == "Head of purchasing" and card.uid.value == made_up
    assert hub.record(ann).contact.uid == made_up
    hub.assert_converged([ann])
