"""S13: a synced copy that moved in the target (new remote id, same marker) keeps its record and its edits."""

from __future__ import annotations

import pytest
from sync_helpers import Hub, person

from contacthub.connector import WriteRequest
from contacthub.sync.plan import MOVE, TRASH
from contacthub.sync.state import TargetState


class Killed(Exception):
    """The process running the pass died (nothing in the engine catches it)."""


class KillAfter:
    """A progress sink that kills the pass after `steps` committed steps."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def start(self, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise Killed


@pytest.fixture(params=[True, False], ids=["change-token", "full-listing"])
def moving_hub(request, tmp_path):
    hub = Hub(tmp_path, incremental=request.param)
    yield hub
    hub.db.dispose()


def _only_copy(hub: Hub, record_id: str) -> str:
    """The remote id of the record's one copy in the target (fails on none or two)."""
    own = [rid for rid, (_e, marker, _c) in hub.target.items().items() if marker and marker.record_id == record_id]
    assert len(own) == 1, own
    return own[0]


def _linked_to(hub: Hub, record_id: str) -> str:
    with hub.db.transaction(readonly=True) as tx:
        return TargetState.get(tx.session, hub.settings.target.key).links()[record_id].remote_id


def test_s13_a_moved_and_edited_copy_keeps_its_record_and_the_edit(moving_hub):
    hub = moving_hub
    ann, ben = hub.add(person("Ann")), hub.add(person("Ben"))
    hub.sync()
    old_id, copy = hub.copies()[ann]
    new_id = hub.target.user_move(old_id, copy.copy(title="Edited after the move"))

    result = hub.sync()

    assert result.plan.count(TRASH) == 0 and result.plan.count(MOVE) == 1
    assert not result.report.problems, result.report.problems
    record = hub.record(ann)
    assert not record.is_deleted and record.contact.title == "Edited after the move"
    assert _only_copy(hub, ann) == new_id
    hub.sync()  # and the pass after it neither deletes nor re-creates the copy
    assert _only_copy(hub, ann) == new_id and hub.target.items()[new_id][2].title == "Edited after the move"
    assert not hub.record(ann).is_deleted and set(hub.copies()) == {ann, ben}


def test_s13_s10_a_move_merges_edits_made_on_both_sides(moving_hub):
    hub = moving_hub
    ann = hub.add(person("Ann"))
    hub.sync()
    old_id, copy = hub.copies()[ann]
    hub.edit(ann, note="edited in the office")
    new_id = hub.target.user_move(old_id, copy.copy(title="Edited on the phone"))

    result = hub.sync()

    assert not result.report.problems and not result.report.conflicts
    contact = hub.record(ann).contact
    assert (contact.title, contact.note) == ("Edited on the phone", "edited in the office")
    assert _only_copy(hub, ann) == new_id
    copy_now = hub.target.items()[new_id][2]
    assert (copy_now.title, copy_now.note) == ("Edited on the phone", "edited in the office")


def test_s13_a_move_without_an_edit_relinks_and_writes_nothing(moving_hub):
    hub = moving_hub
    ann = hub.add(person("Ann"))
    hub.sync()
    new_id = hub.target.user_move(hub.copies()[ann][0])
    version = hub.record(ann).version
    etag = hub.target.items()[new_id][0]

    hub.sync()

    assert hub.record(ann).version == version and not hub.record(ann).is_deleted
    assert hub.target.items()[new_id][0] == etag  # not rewritten
    assert _linked_to(hub, ann) == new_id
    hub.sync()
    assert _only_copy(hub, ann) == new_id


def test_s13_moving_most_copies_is_no_mass_deletion(moving_hub):
    hub = moving_hub
    ids = [hub.add(person(name)) for name in ("Ann", "Ben", "Cid", "Dag")]
    hub.sync()
    for record_id in ids[:3]:
        hub.target.user_move(hub.copies()[record_id][0])

    hub.sync()  # no --force: moves are not deletions

    assert set(hub.copies()) == set(ids) and not any(hub.record(r).is_deleted for r in ids)


def test_s13_a_second_copy_while_the_linked_one_stays_is_a_duplicate_left_alone(moving_hub):
    hub = moving_hub
    ann = hub.add(person("Ann"))
    hub.sync()
    old_id, copy = hub.copies()[ann]
    marker = hub.target.items()[old_id][1]
    (twin,) = hub.target.create([WriteRequest(copy.copy(title="a twin"), marker)])

    result = hub.sync()

    assert any("second copy" in p for p in result.report.problems), result.report.problems
    assert hub.record(ann).contact.title == "" and not hub.record(ann).is_deleted
    assert set(hub.target.items()) >= {old_id, twin.ref.remote_id}  # both left where they are


def test_s13_a_move_of_a_record_deleted_in_the_office_keeps_the_edit_and_removes_the_copy(moving_hub):
    hub = moving_hub
    ann = hub.add(person("Ann"))
    hub.sync()
    old_id, copy = hub.copies()[ann]
    with hub.db.transaction() as tx:
        tx.records.delete(ann)
    hub.target.user_move(old_id, copy.copy(title="Edited on the phone"))

    hub.sync()

    record = hub.record(ann)
    assert record.is_deleted and record.deleted_reason != "target"
    assert record.contact.title == "Edited on the phone"
    assert ann not in hub.copies()


@pytest.mark.parametrize("steps", [1, 2])
def test_s13_s12_a_pass_killed_after_the_relink_resumes_with_the_edit_and_no_twin(moving_hub, steps):
    hub = moving_hub
    ann = hub.add(person("Ann"))
    hub.sync()
    hub.edit(ann, note="edited in the office")
    old_id, copy = hub.copies()[ann]
    new_id = hub.target.user_move(old_id, copy.copy(title="Edited on the phone"))

    with pytest.raises(Killed):
        hub.sync(progress=KillAfter(steps))  # 1: after the relink; 2: after the merge as well
    result = hub.sync()

    assert not result.report.problems and result.plan.count(TRASH) == 0
    contact = hub.record(ann).contact
    assert (contact.title, contact.note) == ("Edited on the phone", "edited in the office")
    assert not hub.record(ann).is_deleted
    assert _only_copy(hub, ann) == new_id
    assert hub.target.items()[new_id][2].note == "edited in the office"
