"""The sync engine through its public API, on the in-memory target (S1–S12)."""

from __future__ import annotations

import pytest
from sync_helpers import Hub, person

from contacthub.connector import TargetError, Throttled
from contacthub.errors import ContactHubError
from contacthub.model import Typed
from contacthub.sync.engine import MassDeletion
from contacthub.sync.plan import TargetLooksEmpty


def test_s1_start_copies_every_business_contact_with_its_marker(hub):
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.add(person("Acme"), type_name="account")
    hub.sync()
    copies = hub.copies()
    assert set(copies) == {ann, ben}
    assert all(marker.database_id == hub.db.id for _e, marker, _c in hub.target.items().values())


def test_s2_copies_are_identical_to_the_records(hub):
    ann = hub.add(person("Ann", title="Buyer", note="line one\nline two", categories=["Customers"]))
    hub.sync()
    assert hub.copies()[ann][1] == hub.record(ann).contact


def test_s3_a_database_change_updates_the_copy(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    hub.edit(ann, title="Head of purchasing")
    hub.sync()
    assert hub.copies()[ann][1].title == "Head of purchasing"


def test_s4_a_no_change_pass_on_a_change_token_copies_no_link_and_a_phone_edit_only_its_own(hub, monkeypatch):
    # The everyday pass of a CardDAV/Graph/EWS target: the token reports nothing, so no link is read
    # (copying them was a tenth of a whole `sync run` at 5,000 copies, issue 15); an edit still arrives,
    # and its pass copies in the edited copy's link alone (all of them cost it ~0.5 s at 100,000).
    from contacthub.sync.link_index import LinkIndex

    copied = []
    copy_in = LinkIndex._copy_in
    monkeypatch.setattr(LinkIndex, "_copy_in", lambda self, links: copy_in(self, [copied.append(k) or k for k in links]))
    ann = hub.add(person("Ann"))
    hub.add(person("Bob"))
    hub.sync()
    hub.sync()  # the token of the first pass predates its own writes: this pass sees them as its own
    copied.clear()
    assert hub.sync().plan.actions == [] and copied == []
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="Edited on the phone"))
    hub.sync()
    assert hub.record(ann).contact.title == "Edited on the phone"
    assert {record_id for record_id, _, _ in copied} == {ann}


def test_s4_a_target_change_updates_the_record_and_keeps_history(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="Edited on the phone"))
    hub.sync()
    assert hub.record(ann).contact.title == "Edited on the phone"
    with hub.db.transaction() as tx:
        history = tx.records.history(ann)
    assert history[-1].source == "sync:memory:test" and history[-1].contact.title == ""


def test_s5_deleting_a_copy_moves_the_record_to_deleted_items(hub):
    ann, ben, cid = hub.add(person("Ann")), hub.add(person("Ben")), hub.add(person("Cid"))
    hub.sync()
    hub.target.user_delete(hub.copies()[ann][0])
    hub.sync()
    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason == "target"
    assert set(hub.copies()) == {ben, cid}


def test_s6_deleting_a_record_removes_its_copy_and_restoring_brings_it_back(hub):
    ann = hub.add(person("Ann"))
    hub.add(person("Ben"))
    hub.sync()
    with hub.db.transaction() as tx:
        tx.records.delete(ann)
    hub.sync()
    assert ann not in hub.copies()
    with hub.db.transaction() as tx:
        tx.records.restore(ann)
    hub.sync()
    assert hub.copies()[ann][1] == hub.record(ann).contact


def test_s7_a_contact_made_in_the_target_stays_plain(hub):
    hub.add(person("Ann"))
    hub.sync()
    plain_id = hub.target.user_create(person("Phone", "Only"))
    hub.sync()
    hub.sync()
    with hub.db.transaction() as tx:
        assert [r.contact.display_name for r in tx.records.list(deleted=None)] == ["Ann Tester"]
    assert hub.plain()[plain_id].display_name == "Phone Only"
    etag_before = hub.target.items()[plain_id][0]
    hub.sync()
    assert hub.target.items()[plain_id][0] == etag_before  # never written


def test_s9_records_that_stop_or_start_qualifying(hub):
    ann = hub.add(person("Ann", categories=["Customers"]))
    ben = hub.add(person("Ben", categories=["Partners"]))
    hub.configure(filters=("customers",))
    hub.sync()
    assert set(hub.copies()) == {ann}
    with hub.db.transaction() as tx:
        tx.records.update(ann, None, type_name="account")  # now an account: loses its copy
    hub.edit(ben, categories=["Partners", "Customers"])  # now selected: gains one
    hub.sync()
    assert set(hub.copies()) == {ben}


def test_s9_a_category_taken_off_on_the_phone_ends_the_copy_in_the_same_pass(hub):
    """The filter is weighed on the record as the pass leaves it: no copy of a record that no longer qualifies."""
    ann = hub.add(person("Ann", categories=["Customers"]))
    hub.configure(filters=("customers",))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(categories=[]))
    result = hub.sync()
    assert not result.report.problems
    assert hub.record(ann).contact.categories == []  # the phone's edit is kept in the record (S4)
    assert hub.copies() == {}


def test_t3_category_label_is_added_to_copies_but_not_to_records(hub):
    ann = hub.add(person("Ann", categories=["Customers"]))
    hub.configure(category="Business")
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    assert copy.categories == ["Customers", "Business"]
    hub.target.user_edit(remote_id, copy.copy(title="x"))
    hub.sync()
    assert hub.record(ann).contact.categories == ["Customers"]


def test_s10_fields_changed_on_one_side_each_are_merged(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="From the phone"))
    hub.edit(ann, note="From the office")
    result = hub.sync()
    merged = hub.record(ann).contact
    assert (merged.title, merged.note) == ("From the phone", "From the office")
    assert hub.copies()[ann][1] == merged
    assert result.report.conflicts == []


@pytest.mark.parametrize("policy, winner", [("database-wins", "office"), ("target-wins", "phone")])
def test_s10_a_field_changed_on_both_sides_follows_the_policy_and_the_loser_is_kept(hub, policy, winner):
    ann = hub.add(person("Ann"))
    hub.configure(conflict=policy)
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="phone"))
    hub.edit(ann, title="office")
    result = hub.sync()
    loser = "phone" if winner == "office" else "office"
    assert hub.record(ann).contact.title == winner
    assert hub.copies()[ann][1].title == winner
    assert len(result.report.conflicts) == 1 and "title" in result.report.conflicts[0]
    with hub.db.transaction() as tx:
        kept = [h.contact.title for h in tx.records.history(ann) if h.contact is not None]
    assert loser in kept  # the losing value is in history


def test_s11_fields_the_target_cannot_hold_are_never_cleared(tmp_path):
    hub = Hub(tmp_path, fields={"uid", "display_name", "name", "emails", "title"})
    ann = hub.add(person("Ann", note="only in the database", birthday="1970-04-15"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    assert copy.note == "" and copy.birthday == ""  # the target cannot hold them
    hub.target.user_edit(remote_id, copy.copy(title="Changed on the phone"))
    hub.sync()
    record = hub.record(ann).contact
    assert (record.title, record.note, record.birthday) == ("Changed on the phone", "only in the database", "1970-04-15")


def test_reformatting_by_the_target_is_no_change(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy)  # same content, new etag
    result = hub.sync()
    assert result.report.done == {}
    assert hub.record(ann).version == 1



def test_s14_a_copy_that_changed_into_what_the_record_makes_is_no_change_and_read_once(tmp_path):
    # The copy's content differs from what its link last saw (a hash kept by an older pass), yet merging
    # it changes nothing: its new etag must be kept, or every listing reads the copy again.
    from sqlalchemy import text

    hub = Hub(tmp_path, incremental=False)
    ann = hub.add(person("Ann"))
    hub.sync()
    with hub.db.transaction() as tx:
        tx.session.execute(text("UPDATE sync_links SET remote_hash = 'from-an-older-pass'"))
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy)  # same content, new etag
    hub.sync()
    hub.target.calls.clear()
    result = hub.sync()
    assert "fetch" not in hub.target.calls and result.report.done == {} and hub.record(ann).version == 1

def test_s12_a_pass_that_dies_mid_create_resumes_without_twins(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(10)]
    hub.target.crash_after("create", 4)
    with pytest.raises(ContactHubError, match="connection lost"):
        hub.sync()
    assert len(hub.copies()) == 4
    hub.sync()
    assert set(hub.copies()) == set(ids)
    assert len(hub.target.items()) == 10  # no twin of the four created before the crash


def test_s12_a_pass_that_dies_mid_update_loses_no_edit(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(6)]
    hub.sync()
    for record_id in ids:
        hub.edit(record_id, title="new")
    phone_edit = hub.copies()[ids[5]][0]
    hub.target.crash_after("update", 3)
    with pytest.raises(ContactHubError):
        hub.sync()
    hub.target.user_edit(phone_edit, hub.copies()[ids[5]][1].copy(note="phone note"))
    hub.sync()
    assert all(hub.copies()[i][1].title == "new" for i in ids)
    assert hub.record(ids[5]).contact.note == "phone note"
    assert hub.copies()[ids[5]][1].note == "phone note"


def test_s12_a_pass_that_dies_mid_delete_does_not_trash_records(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(4)]
    hub.sync()
    with hub.db.transaction() as tx:
        tx.records.delete(ids[0])
        tx.records.delete(ids[1])
    hub.target.crash_after("delete", 1)
    with pytest.raises(ContactHubError):
        hub.sync()
    hub.sync()
    assert set(hub.copies()) == set(ids[2:])
    assert hub.record(ids[0]).deleted_reason == "user"


def test_a_failing_item_does_not_stop_the_others_and_is_retried(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    hub.target.fail_next("create", TargetError("server said 500"))
    result = hub.sync()
    assert len(hub.copies()) == 2
    assert any("server said 500" in p for p in result.report.problems)
    hub.sync()
    assert set(hub.copies()) == set(ids)


def test_throttling_is_waited_out(hub, monkeypatch):
    import contacthub.sync.apply as apply

    slept: list[float] = []
    monkeypatch.setattr(apply.time, "sleep", slept.append)
    hub.add(person("Ann"))

    calls = {"n": 0}
    real_create = hub.target.create

    def throttled_once(items):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Throttled("429 Too Many Requests", retry_after=7)
        return real_create(items)

    monkeypatch.setattr(hub.target, "create", throttled_once)
    hub.sync()
    assert slept == [7] and len(hub.copies()) == 1


def test_an_empty_listing_is_never_read_as_everything_deleted(tmp_path):
    hub = Hub(tmp_path, incremental=False)
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    hub.sync()
    for remote_id, _ in hub.copies().values():
        hub.target.user_delete(remote_id)
    with pytest.raises(TargetLooksEmpty):
        hub.sync()
    assert not any(hub.record(i).is_deleted for i in ids)


def test_mass_deletion_stops_and_asks_for_force(hub):
    ids = [hub.add(person(f"P{i}")) for i in range(10)]
    hub.sync()
    with hub.db.transaction() as tx:
        for record_id in ids[:6]:
            tx.records.delete(record_id)
    with pytest.raises(MassDeletion, match="6 of 10"):
        hub.sync()
    assert len(hub.copies()) == 10
    hub.sync(force=True)
    assert len(hub.copies()) == 4


def test_u1_dry_run_plans_but_changes_nothing(hub):
    hub.add(person("Ann"))
    result = hub.sync(dry_run=True)
    assert [a.kind for a in result.plan.actions] == ["create-copy"]
    assert hub.target.items() == {}
    assert hub.sync().report.done == {"create-copy": 1}


def test_an_expired_change_token_falls_back_to_a_full_listing(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="after expiry"))
    hub.target.expire_tokens()
    hub.sync()
    assert hub.record(ann).contact.title == "after expiry"
    assert not hub.record(ann).is_deleted


def test_a_second_copy_with_the_same_marker_is_reported_and_left_alone(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    _etag, marker, _ = hub.target.items()[remote_id]
    twin = hub.target.user_create(copy)
    hub.target._items[twin].marker = marker  # the user duplicated the card, marker and all
    hub.target.user_edit(twin, copy)  # and touched it, so the next pass sees it
    result = hub.sync()
    assert any("second copy" in p for p in result.report.problems)
    assert twin in hub.target.items() and not hub.record(ann).is_deleted


def test_no_change_pass_reads_no_contact(hub):
    for i in range(20):
        hub.add(person(f"P{i}", emails=[Typed(f"p{i}@x.example")]))
    hub.sync()
    hub.target.calls.clear()
    assert hub.sync().report.done == {}
    assert "fetch" not in hub.target.calls


def test_s12_a_record_edited_during_a_pass_is_not_overwritten(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="phone title"))

    class EditWhileApplying:
        """Runs between planning and applying: the user edits the record right then."""

        def start(self, total):
            hub.edit(ann, note="typed during the pass")

        def advance(self, n):
            pass

    result = hub.sync(progress=EditWhileApplying())
    assert any("changed during the pass" in p for p in result.report.problems)
    assert hub.record(ann).contact.note == "typed during the pass"
    hub.sync()
    record = hub.record(ann).contact
    assert (record.title, record.note) == ("phone title", "typed during the pass")
    assert hub.copies()[ann][1] == record


def test_c1_a_stop_that_leaves_a_copy_behind_never_trashes_records_on_restart(hub):
    """Found by the state machine: a partial `sync stop` kept every link, so the restart read the removed copies as deleted by the user (S5)."""
    from contacthub.sync import lifecycle

    ids = [hub.add(person(f"P{i}")) for i in range(4)]
    hub.sync()
    hub.target.fail_next("delete", TargetError("server said 500"))
    outcome = lifecycle.remove_copies(hub.db, hub.target, hub.settings.target.key)
    assert len(outcome.problems) == 1 and len(hub.copies()) == 1
    hub.sync(force=True)  # sync started again
    assert [hub.record(i).is_deleted for i in ids] == [False] * 4
    assert set(hub.copies()) == set(ids) and len(hub.target.items()) == 4  # the leftover copy is adopted, no twin


def test_c1_a_stop_that_dies_midway_never_trashes_records(hub):
    from contacthub.sync import lifecycle

    ids = [hub.add(person(f"P{i}")) for i in range(4)]
    hub.sync()
    hub.target.crash_after("delete", 2)
    with pytest.raises(ContactHubError):
        lifecycle.remove_copies(hub.db, hub.target, hub.settings.target.key)
    hub.sync(force=True)  # the stop failed: sync is still on
    assert [hub.record(i).is_deleted for i in ids] == [False] * 4
    assert set(hub.copies()) == set(ids) and len(hub.target.items()) == 4


def test_w1_import_leaves_the_previous_database_unaffected_when_switching_back(hub, tmp_path):
    """Found by the state machine: after an import the previous database still linked the copies it no longer owned."""
    from contacthub.store import open_database
    from contacthub.sync import lifecycle
    from contacthub.sync.engine import run_pass

    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    hub.sync()
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite'}")
    lifecycle.import_copies(hub.db, other, hub.target, hub.settings)
    run_pass(other, hub.settings, hub.target, lock_dir=tmp_path)
    imported = dict(hub.target.items())
    lifecycle.remove_copies(other, hub.target, hub.settings.target.key)  # back to the first one, --synced delete
    hub.sync(force=True)
    assert [hub.record(i).is_deleted for i in ids] == [False] * 3
    assert set(hub.copies()) == set(ids) and not set(hub.target.items()) & set(imported)
    other.dispose()


def test_t3_a_changed_category_label_never_becomes_a_record_category(hub):
    """Found by the state machine: a copy edited while it still carried the old label gave its record that label."""
    ann = hub.add(person("Ann", categories=["Customers"]))
    hub.configure(category="Business")
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.target.user_edit(remote_id, copy.copy(title="from the phone"))
    hub.configure(category="Biz")
    hub.sync()
    record = hub.record(ann).contact
    assert (record.title, record.categories) == ("from the phone", ["Customers"])
    assert hub.copies()[ann][1].categories == ["Customers", "Biz"]


def test_w1_import_takes_the_label_off_copies_written_with_an_older_one(hub, tmp_path):
    from contacthub.store import open_database
    from contacthub.sync import lifecycle

    hub.add(person("Ann", categories=["Customers"]))
    hub.configure(category="Business")
    hub.sync()
    hub.configure(category="Biz")  # changed, and the database switched before any pass
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite'}")
    lifecycle.import_copies(hub.db, other, hub.target, hub.settings)
    with other.transaction() as tx:
        assert [r.contact.categories for r in tx.records.list()] == [["Customers"]]
    other.dispose()


def test_s12_a_copy_made_by_a_killed_pass_goes_when_its_record_was_purged_meanwhile(hub):
    """Found by the state machine: the unlinked copy of a purged record was reported on and left in the target for good."""
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.target.crash_after("create", 2)
    with pytest.raises(ContactHubError):
        hub.sync()
    with hub.db.transaction() as tx:
        tx.records.delete(ann)
        tx.records.purge(ann)
    result = hub.sync()
    assert result.report.problems == []
    assert set(hub.copies()) == {ben} and len(hub.target.items()) == 1


def test_w1_an_imported_copy_whose_marker_could_not_be_changed_is_re_marked_by_the_next_pass(hub, tmp_path):
    """The copy stayed marked for the previous database for good (the machine's convergence check covers it)."""
    from contacthub.store import open_database
    from contacthub.sync import lifecycle
    from contacthub.sync.engine import run_pass

    hub.add(person("Ann"))
    hub.add(person("Ben"))
    hub.sync()
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite'}")
    hub.target.fail_next("update", TargetError("server said 500"))
    outcome = lifecycle.import_copies(hub.db, other, hub.target, hub.settings)
    assert len(outcome.problems) == 1
    run_pass(other, hub.settings, hub.target, lock_dir=tmp_path)
    with other.transaction() as tx:
        records = {r.id for r in tx.records.list()}
    markers = [marker for _etag, marker, _contact in hub.target.items().values()]
    assert {m.database_id for m in markers} == {other.id} and {m.record_id for m in markers} == records
    other.dispose()


def test_s8_the_database_can_be_written_while_a_pass_waits_for_the_target(hub, tmp_path, monkeypatch):
    """Planning waits for the target outside SQLite's write lock: a CLI edit meanwhile is not refused."""
    from contacthub.store import database, open_database

    hub.add(person("Ann"))
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)  # a held write lock fails the edit below fast
    other = open_database(f"sqlite:///{tmp_path / 'hub.sqlite'}")  # another process's view of the database
    added: list[str] = []
    real_changes = hub.target.changes

    def changes_while_someone_writes(token):
        if not added:
            with other.transaction() as tx:
                added.append(tx.records.add(person("Ben")).id)
        return real_changes(token)

    monkeypatch.setattr(hub.target, "changes", changes_while_someone_writes)
    hub.sync()
    assert added, "the edit during the pass did not happen"
    hub.sync()  # what was written meanwhile goes out with the next pass
    assert added[0] in hub.copies()
    other.dispose()


def test_s10_s6_a_conflict_on_a_copy_that_goes_keeps_the_losing_version_in_history(hub):
    ann = hub.add(person("Ann"))
    hub.sync()
    remote_id, copy = hub.copies()[ann]
    hub.edit(ann, title="From the office")
    with hub.db.transaction() as tx:
        tx.records.delete(ann)
    hub.target.user_edit(remote_id, copy.copy(title="From the phone"))
    result = hub.sync()
    assert ann not in hub.copies() and hub.record(ann).contact.title == "From the office"
    assert result.report.conflicts, result.report
    with hub.db.transaction() as tx:
        assert "From the phone" in [h.contact.title for h in tx.records.history(ann) if h.contact]
