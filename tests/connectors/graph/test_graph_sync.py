"""The sync engine through the Graph connector, against the fake mailbox (S1, S3, S4, S5, S7, S11, S12)."""

from __future__ import annotations

import pytest
from graph_helpers import FOLDER, open_graph
from graph_hub import person

from contacthub.connectors.graph.mapping import MARKER_PROPERTY, plain_contact
from contacthub.model import Photo, Typed


def test_s1_start_copies_every_business_contact_with_its_marker(hub):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.add(person("Acme"), type_name="account")
    hub.sync()
    assert {k: len(v) for k, v in hub.copies().items()} == {ann: 1, ben: 1}
    _cid, item = hub.copy(ann)
    assert item["emailAddresses"] == [{"address": "ann@example.com", "name": "ann@example.com"}]
    assert item["_props"][MARKER_PROPERTY] == f"{hub.db.id}:{ann}"
    assert hub.sync().plan.actions == []  # converged: the next pass has nothing to do


def test_s3_a_database_change_updates_the_copy(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing")
    hub.sync()
    assert hub.copy(ann)[1]["jobTitle"] == "Head of purchasing"
    assert hub.sync().plan.actions == []


def test_s4_a_change_in_outlook_updates_the_record_and_keeps_what_graph_cannot_say(hub, fake):
    ann = hub.add(person("Ann", title="Buyer", phones=[Typed("+44 20 7946 0000", ["work", "voice"], label="desk")]))
    hub.sync()
    cid, _item = hub.copy(ann)
    fake.user_edit(FOLDER, cid, jobTitle="Chief buyer")
    hub.sync()
    record = hub.record(ann).contact
    assert record.title == "Chief buyer"
    # Untouched fields come back exactly as written (email type and pref, phone label), not as Graph holds them.
    assert record.emails == [Typed("ann@example.com", ["work"], pref=True)]
    assert record.phones == [Typed("+44 20 7946 0000", ["work", "voice"], label="desk")]
    assert hub.sync().plan.actions == []


def test_s4_an_email_changed_in_outlook_is_taken_as_outlook_has_it(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    cid, _item = hub.copy(ann)
    fake.user_edit(FOLDER, cid, emailAddresses=[{"address": "ann@new.example", "name": "Ann"}])
    hub.sync()
    assert hub.record(ann).contact.emails == [Typed("ann@new.example")]


def test_s5_deleting_a_copy_in_outlook_moves_the_record_to_deleted_items(hub, fake):
    ann, ben, cid_ = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    fake.user_delete(FOLDER, hub.copy(ann)[0])
    hub.sync()
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert set(hub.copies()) == {ben, cid_}


def test_s5_a_copy_created_after_the_token_and_deleted_is_still_seen(hub, fake):
    """Exchange may leave such a deletion out of the delta; the hub asks for its own writes by id."""
    fake.forget_deletes_after_token = True
    hub.add(person("Ann"))
    hub.sync()
    ben = hub.add(person("Ben"))
    hub.sync()  # Ben's copy is created after the token this pass stored
    fake.user_delete(FOLDER, hub.copy(ben)[0])
    hub.sync()
    assert hub.record(ben).is_deleted and hub.record(ben).deleted_reason == "target"


def test_s7_a_contact_made_in_outlook_stays_plain_and_untouched(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    plain = fake.user_create(FOLDER, person("Pat"))
    before = dict(fake.contacts(FOLDER)[plain])
    result = hub.sync()
    assert result.plan.plain == 1
    assert fake.contacts(FOLDER)[plain] == before
    with hub.db.transaction() as tx:
        assert [r.id for r in tx.records.list()] == [ann]


def test_s11_fields_graph_cannot_hold_stay_in_the_database(hub, fake):
    photo = Photo(data=b"\x89PNG-not-really", media_type="image/png")
    ann = hub.add(person("Ann", anniversary="2005-06-07", photo=photo))
    hub.sync()
    cid, item = hub.copy(ann)
    assert "anniversary" not in str(item) and "PNG" not in str(item)
    fake.user_edit(FOLDER, cid, personalNotes="call after 10")
    hub.sync()
    record = hub.record(ann).contact
    assert record.note == "call after 10"
    assert record.anniversary == "2005-06-07" and record.photo == photo


def test_s12_an_expired_delta_link_reads_everything_again_without_duplicates(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    fake.expire_tokens()  # the stored deltaLink now answers 410
    fake.user_edit(FOLDER, hub.copy(ann)[0], jobTitle="Buyer")
    hub.sync()
    assert hub.record(ann).contact.title == "Buyer"
    assert {k: len(v) for k, v in hub.copies().items()} == {ann: 1}


def test_s1_many_records_go_in_batches_the_mailbox_can_run_at_once(hub, fake):
    ids = [hub.add(person(f"P{i:02d}")) for i in range(45)]
    hub.sync()
    assert set(hub.copies()) == set(ids)
    assert fake.batches and max(fake.batches) <= 4  # Outlook runs 4 requests per mailbox at once
    assert fake.limit.refused == 0


@pytest.mark.parametrize("written", ["--04-16", "--0416"])
def test_s2_a_birthday_without_a_year_is_stored_in_1604_and_reads_back_without_a_year(hub, fake, written):
    """Outlook keeps a year-less birthday in the year 1604; the model says --MM-DD (RFC 6350 §4.3.1)."""
    ann = hub.add(person("Ann", birthday=written))
    hub.sync()
    cid, item = hub.copy(ann)
    assert item["birthday"] == "1604-04-16T11:59:00Z"
    (fetched,) = open_graph(hub.tmp_path / "cache").fetch([cid])
    assert fetched.contact.birthday == written  # as the record holds it (the details say which spelling)
    assert plain_contact(item).birthday == "--04-16"  # what Outlook itself says
    assert hub.sync().plan.actions == []  # the copy reads back as the record holds it
    fake.user_edit(FOLDER, cid, birthday="1604-12-24T11:59:00Z")  # the user picks another day, still no year
    hub.sync()
    assert hub.record(ann).contact.birthday == "--12-24"


def test_s4_a_birthday_with_a_year_keeps_its_year(hub, fake):
    ann = hub.add(person("Ann", birthday="1980-04-16"))
    hub.sync()
    cid, item = hub.copy(ann)
    assert item["birthday"] == "1980-04-16T11:59:00Z"
    fake.user_edit(FOLDER, cid, birthday="1981-04-16T11:59:00Z")
    hub.sync()
    assert hub.record(ann).contact.birthday == "1981-04-16"
