"""The sync engine through the ews connector, on the fake mailbox (S1, S3, S4, S5, S7, S11, S12 token)."""

from __future__ import annotations

import pytest
from ews_helpers import FOLDER, open_ews
from ews_hub import person

from contacthub.model import ExtraProperty, Photo, Typed
from contacthub.sync.state import TargetState


def test_s1_start_copies_every_business_contact_with_its_marker(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.add(person("Acme"), type_name="account")
    hub.sync()
    assert set(hub.copies()) == {ann, ben}
    item = hub.copy_id(ann)
    assert fake.value(item, "DisplayName") == "Ann Tester" and fake.value(item, "Surname") == "Tester"
    assert fake.marker(item) == f"{hub.db.id}:{ann}"
    hub.assert_converged([ann, ben])
    # Exchange cannot say "work" or "pref" on an email: the record keeps them all the same (no lossy write back).
    assert hub.record(ann).contact.emails == [Typed("ann@example.com", ["work"], pref=True)]


def test_s3_a_database_change_updates_the_copy(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing", phones=[Typed("+44 1632 960000", ["home"])])
    hub.sync()
    item = hub.copy_id(ann)
    assert fake.value(item, "JobTitle") == "Head of purchasing"
    numbers = fake._find(item)[1].find("{http://schemas.microsoft.com/exchange/services/2006/types}PhoneNumbers")
    assert [(e.get("Key"), e.text) for e in numbers] == [("HomePhone", "+44 1632 960000")]  # the old ones deleted
    hub.assert_converged([ann])


def test_s4_a_change_in_outlook_updates_the_record(hub, fake):
    ann = hub.add(person("Ann", title="Buyer"))
    hub.sync()
    fake.user_edit(hub.copy_id(ann), JobTitle="Chief buyer")
    hub.sync()
    record = hub.record(ann).contact
    assert record.title == "Chief buyer"
    assert record.phones == person("Ann").phones and record.emails == person("Ann").emails  # untouched fields stay exact
    hub.assert_converged([ann])


def test_s5_deleting_a_copy_in_outlook_moves_the_record_to_deleted_items(hub, fake):
    ann, ben, cid = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    fake.user_delete(hub.copy_id(ann))
    hub.sync()
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert set(hub.copies()) == {ben, cid}


def test_s6_a_copy_removed_by_the_hub_goes_to_the_mailboxs_deleted_items(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    item = hub.copy_id(ann)
    with hub.db.transaction() as tx:
        tx.records.delete(ann)
    hub.sync()
    assert hub.copies() == {}
    assert [fake.marker(i) for i in fake.trash.items] == [f"{hub.db.id}:{ann}"]  # never a hard delete
    assert item not in fake.folder(FOLDER).items


def test_s7_a_contact_made_in_outlook_stays_plain_and_untouched(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    plain = fake.user_create(fake.folder(FOLDER), DisplayName="Pat Plain", JobTitle="Plumber")
    changekey = fake._find(plain)[1].find("{http://schemas.microsoft.com/exchange/services/2006/types}ItemId").get("ChangeKey")
    result = hub.sync()
    assert result.plan.plain == 1
    with hub.db.transaction() as tx:
        assert [r.id for r in tx.records.list()] == [ann]  # never imported
    item_id = fake._find(plain)[1].find("{http://schemas.microsoft.com/exchange/services/2006/types}ItemId")
    assert item_id.get("ChangeKey") == changekey and fake.marker(plain) is None
    hub.assert_converged([ann])


def test_s11_fields_exchange_cannot_hold_are_never_cleared_in_the_database(hub, fake):
    photo = Photo(data=b"\x89PNG-not-really", media_type="image/png")
    extra = [ExtraProperty("X-SPOUSE", "Bob Example")]
    ann = hub.add(person("Ann", photo=photo, extra=extra, title="Buyer"))
    hub.sync()
    fake.user_edit(hub.copy_id(ann), JobTitle="Chief buyer")
    hub.sync()
    record = hub.record(ann).contact
    assert record.title == "Chief buyer" and record.photo == photo and record.extra == extra
    hub.assert_converged([ann])


def test_s12_an_invalid_stored_sync_state_falls_back_to_a_full_listing(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    fake.forget_sync_states()  # the server no longer knows our state: ErrorInvalidSyncStateData
    fake.user_edit(hub.copy_id(ann), DisplayName="Ann Changed")
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    assert hub.record(ann).contact.display_name == "Ann Changed"
    assert not hub.record(ben).is_deleted  # a full listing, never "everything was deleted"
    with hub.db.transaction() as tx:
        assert TargetState.get(tx.session, hub.settings.target.key).row.change_token  # a fresh state was stored
    hub.assert_converged([ann, ben])


def test_incremental_passes_use_sync_folder_items_not_a_listing(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    fake.requests.clear()
    fake.user_edit(hub.copy_id(ann), JobTitle="Chief buyer")
    hub.sync()
    assert "SyncFolderItems" in fake.requests and "FindItem" not in fake.requests, fake.requests
    assert hub.record(ann).contact.title == "Chief buyer"


@pytest.mark.parametrize("written", ["--04-16", "--0416"])
def test_s2_a_birthday_without_a_year_is_stored_in_1604_and_reads_back_without_a_year(hub, fake, written):
    """Outlook keeps a year-less birthday in the year 1604; the model says --MM-DD (RFC 6350 §4.3.1)."""
    ann = hub.add(person("Ann", birthday=written, anniversary="--06-07"))
    hub.sync()
    item = hub.copy_id(ann)
    assert fake.value(item, "Birthday").startswith("1604-04-16")
    assert fake.value(item, "WeddingAnniversary").startswith("1604-06-07")
    conn = open_ews(hub.tmp_path)
    (fetched,) = conn.fetch([item])
    conn.close()
    assert fetched.contact.birthday == written  # as the record holds it
    hub.assert_converged([ann])
    fake.user_edit(item, Birthday="1604-12-24T11:59:00Z")  # another day, still no year
    hub.sync()
    assert hub.record(ann).contact.birthday == "--12-24"  # Exchange's own 1604 date, read as "no year"

