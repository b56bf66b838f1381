"""The sync engine through the SharePoint connector, against the fake list (S1, S3, S4, S5, S7, S11, S12, U4)."""

from __future__ import annotations

import pytest
from sharepoint_fake import HUB_COLUMNS, LIST_ID, LOCATION, SITE_ID, FakeSharePoint
from sharepoint_helpers import open_sharepoint

from contacthub.connectors.sharepoint.mapping import MARKER_COLUMN
from contacthub.model import Address, Contact, Name, Typed
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness


def person(given: str, family: str = "Tester", **fields) -> Contact:
    fields.setdefault("emails", [Typed(f"{given.lower()}@example.com", ["work"], pref=True)])
    return Contact(uid=f"uid-{given.lower()}", display_name=f"{given} {family}", name=Name(family=family, given=given), **fields)


class ListHub(SyncHarness):
    """One database, one SharePoint contacts list."""

    def __init__(self, tmp_path, fake, sleeps=None) -> None:
        super().__init__(tmp_path, Target("sharepoint", {"location": LOCATION}), lambda: open_sharepoint(sleeps=sleeps))
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


# -- issue 11: the list as Microsoft's docs describe it ---------------------------------------------


def test_s1_start_on_a_list_that_already_has_the_hidden_columns_adds_none(tmp_path):
    with FakeSharePoint(hidden_columns=HUB_COLUMNS) as fake:
        hub = ListHub(tmp_path, fake)
        ann = hub.add(person("Ann"))
        result = hub.sync()
        assert not result.report.problems and set(hub.copies()) == {ann}
        assert [c for c in fake.calls if c == ("POST", f"/sites/{SITE_ID}/lists/{LIST_ID}/columns")] == []
        hub.db.dispose()


def test_s4_s11_a_list_edit_of_one_column_changes_only_that_field(hub, fake):
    home = Address(street="1 Home Lane", locality="Leeds", postal_code="LS1 1AA", country="UK", types=["home"])
    work = Address(street="2 Mill Road", locality="York", country="UK", types=["work"])
    emails = [Typed("ann@example.com", ["work"], pref=True), Typed("ann.private@example.org", ["home"])]
    ann = hub.add(person("Ann", title="Buyer", emails=emails, addresses=[work, home]))
    hub.sync()
    before = hub.record(ann).contact
    fake.user_edit(hub.copy(ann)[0], JobTitle="Chief buyer")
    hub.sync()
    after = hub.record(ann).contact
    assert after.title == "Chief buyer"
    assert after.copy(title="Buyer") == before  # the home address, second e-mail and e-mail types stay


def test_s3_an_updated_item_is_written_once_and_three_no_change_passes_write_nothing(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing")
    hub.sync()
    versions = fake.versions()
    for _ in range(3):
        fake.requests.clear()
        result = hub.sync()
        assert result.plan.actions == [] and not result.report.problems
        writes = [r for r in fake.requests if r[0] != "GET"]
        assert writes == [] and len(fake.requests) <= 4  # site, list, columns, the stored deltaLink
    assert fake.versions() == versions and versions[hub.copy(ann)[0]] == 2 and versions[hub.copy(ben)[0]] == 1


def test_s3_a_throttled_item_write_is_a_failed_result_and_the_next_pass_finishes(hub, fake):
    ann, ben, cid = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    for record_id in (ann, ben, cid):
        hub.edit(record_id, title="Buyer")
    fake.throttle_writes(1, status=429, retry_after="300")  # longer than the client waits: handed back
    result = hub.sync()
    assert len(result.report.problems) == 1 and "could not update its copy" in result.report.problems[0]
    assert "activityLimitReached" in result.report.problems[0]
    assert sorted(hub.copy(r)[1].get("JobTitle", "") for r in (ann, ben, cid)) == ["", "Buyer", "Buyer"]
    again = hub.sync()
    assert not again.report.problems and again.report.done == {"sync": 1}
    assert all(hub.copy(r)[1]["JobTitle"] == "Buyer" for r in (ann, ben, cid))
    assert hub.sync().plan.actions == []


def test_s1_a_throttled_batch_is_a_failed_result_for_each_write_and_the_next_pass_finishes(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    fake.throttle_batches(1, status=503, retry_after="300")
    result = hub.sync()
    assert len(result.report.problems) == 2 and all("serviceNotAvailable" in p for p in result.report.problems)
    assert hub.copies() == {}
    assert hub.sync().report.done == {"create-copy": 2}
    assert set(hub.copies()) == {ann, ben} and hub.sync().plan.actions == []


def test_s3_a_short_retry_after_is_waited_out_inside_the_pass(tmp_path, fake):
    sleeps: list[float] = []
    hub = ListHub(tmp_path, fake, sleeps)
    ann = hub.add(person("Ann"))
    fake.throttle_writes(1, status=429, retry_after="2")
    result = hub.sync()
    assert not result.report.problems and set(hub.copies()) == {ann} and sleeps == [2.0]
    hub.db.dispose()


def test_s3_a_refused_write_is_a_failed_result_and_the_next_pass_finishes(hub, fake):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    hub.edit(ann, title="Buyer")
    hub.edit(ben, title="Seller")
    fake.refused[hub.copy(ann)[0]] = (403, "accessDenied", "Access denied")  # item-level permission
    result = hub.sync()
    assert len(result.report.problems) == 1 and "accessDenied" in result.report.problems[0]
    assert hub.copy(ben)[1]["JobTitle"] == "Seller" and hub.copy(ann)[1]["JobTitle"] == ""
    fake.refused.clear()
    assert hub.sync().report.done == {"sync": 1} and hub.copy(ann)[1]["JobTitle"] == "Buyer"
