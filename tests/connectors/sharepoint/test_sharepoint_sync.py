"""The sync engine through the SharePoint connector, against the fake list (S1, S3, S4, S5, S7, S11, S12)."""

from __future__ import annotations

import pytest
from sharepoint_fake import LOCATION
from sharepoint_helpers import open_sharepoint

from contacthub.connectors.sharepoint.mapping import MARKER_COLUMN
from contacthub.model import Contact, Name, Typed
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"], pref=True)])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class ListHub(SyncHarness):
    """One database, one SharePoint contacts list."""

    def __init__(self, tmp_path, fake) -> None:
        super().__init__(tmp_path, Target("sharepoint", {"location": LOCATION}), open_sharepoint)
        self.fake = fake


    def copies(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for iid, item in self.fake.items.items():
            marker = item["fields"].get(MARKER_COLUMN, "")
            if marker:
                found.setdefault(marker.partition(":")[2], []).append(iid)
        return found

    def copy(self, record_id: str) -> tuple[str, dict]:
        (iid,) = self.copies()[record_id]
        return iid, self.fake.items[iid]["fields"]


@pytest.fixture
def hub(tmp_path, fake):
    hub = ListHub(tmp_path, fake)
    yield hub
    hub.db.dispose()


def test_s1_start_copies_every_business_contact_with_its_marker_in_a_hidden_column(hub, fake):
    ann, ben = hub.add(person("Ann", organization="Acme Ltd")), hub.add(person("Ben"))
    hub.add(person("Acme"), type_name="account")
    hub.sync()
    assert {k: len(v) for k, v in hub.copies().items()} == {ann: 1, ben: 1}
    _iid, fields = hub.copy(ann)
    assert (fields["Title"], fields["FirstName"], fields["Email"], fields["Company"]) == ("Tester", "Ann", "ann@example.com", "Acme Ltd")
    assert fake.columns[MARKER_COLUMN]["hidden"] is True
    assert hub.sync().plan.actions == []


def test_s3_a_database_change_updates_the_item(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing", phones=[Typed("+44 20 7946 0000", ["cell"])])
    hub.sync()
    fields = hub.copy(ann)[1]
    assert fields["JobTitle"] == "Head of purchasing" and fields["CellPhone"] == "+44 20 7946 0000"
    assert hub.sync().plan.actions == []


def test_s4_a_change_in_the_list_updates_the_record_and_keeps_the_rest_exact(hub, fake):
    ann = hub.add(person("Ann", title="Buyer"))
    hub.sync()
    iid, _fields = hub.copy(ann)
    fake.user_edit(iid, JobTitle="Chief buyer", Comments="<div>Call after <b>10</b></div>")
    hub.sync()
    record = hub.record(ann).contact
    assert record.title == "Chief buyer" and record.note == "Call after 10"
    assert record.emails == [Typed("ann@example.com", ["work"], pref=True)]


def test_s5_deleting_an_item_moves_the_record_to_deleted_items(hub, fake):
    ann, ben, cid = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    fake.user_delete(hub.copy(ann)[0])
    hub.sync()
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert set(hub.copies()) == {ben, cid}


def test_s7_an_item_added_in_the_list_stays_plain(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    plain = fake.user_create({"Title": "Plain", "FirstName": "Pat"})
    result = hub.sync()
    assert result.plan.plain == 1 and fake.items[plain]["fields"] == {"Title": "Plain", "FirstName": "Pat"}
    with hub.db.transaction() as tx:
        assert [r.id for r in tx.records.list()] == [ann]


def test_s11_fields_the_list_cannot_hold_stay_in_the_database(hub, fake):
    ann = hub.add(person("Ann", birthday="1980-04-01", categories=["VIP"], org_units=["Sales"], role="Manager"))
    hub.sync()
    fake.user_edit(hub.copy(ann)[0], Company="New Co")
    hub.sync()
    record = hub.record(ann).contact
    assert record.organization == "New Co"
    assert (record.birthday, record.categories, record.org_units, record.role) == ("1980-04-01", ["VIP"], ["Sales"], "Manager")


def test_s12_a_410_on_the_stored_token_reads_everything_again(hub, fake):
    ann = hub.add(person("Ann"))
    hub.sync()
    fake.expire_tokens()  # the stored deltaLink now answers 410 resyncRequired
    fake.user_edit(hub.copy(ann)[0], JobTitle="Buyer")
    hub.sync()
    assert hub.record(ann).contact.title == "Buyer"
    assert {k: len(v) for k, v in hub.copies().items()} == {ann: 1}
