"""A merged record syncs as one copy: B's copy leaves the target, A's carries the merged fields (I3, S6, S7)."""

from __future__ import annotations

import pytest

from contacthub.connectors.vcf.connector import VcfConnector
from contacthub.model import Contact, Name, Typed
from contacthub.record_merge import merge_records
from contacthub.sync.target import Target
from contacthub.testing import SyncHarness
from contacthub.vcard import read_vcards


def _person(uid: str, **fields) -> Contact:
    return Contact(uid=uid, display_name="Andrea Dunker", name=Name("Dunker", "Andrea"), **fields)


@pytest.fixture
def hub(tmp_path):
    folder = tmp_path / "Phone"
    harness = SyncHarness(tmp_path, Target("vcf", {"location": str(folder)}), lambda: VcfConnector(folder, tmp_path / "cache", create=True))
    harness.folder = folder
    yield harness
    harness.db.dispose()


def _cards(folder) -> list[Contact]:
    return [c for path in sorted(folder.glob("*.vcf")) for c in read_vcards(path.read_bytes()).contacts]


def _synced_then_merged(hub) -> tuple[str, str]:
    """Two records of one person, each with its copy, then `merge A B`: their ids."""
    a = hub.add(_person("a", emails=[Typed("andrea@fabrikam.example")]))
    b = hub.add(_person("b", emails=[Typed("a.dunker@home.example")]))
    hub.sync()
    with hub.db.transaction() as tx:
        merge_records(tx, a, b)
    return a, b


def _phone_sets_title(path) -> None:
    """The phone gives the card in `path` the title "Chief buyer"."""
    path.write_text(path.read_text(encoding="utf-8").replace("END:VCARD", "TITLE:Chief buyer\r\nEND:VCARD"), encoding="utf-8")


def test_i3_s6_the_merged_record_syncs_as_one_copy_and_b_is_not_trashed_or_reimported(hub):
    a = hub.add(_person("a", emails=[Typed("andrea@fabrikam.example")], title="Buyer"))
    b = hub.add(_person("b", emails=[Typed("a.dunker@home.example")], phones=[Typed("+47 22 33 44 55", ["cell"])]))
    hub.sync()
    assert len(_cards(hub.folder)) == 2

    with hub.db.transaction() as tx:
        merge_records(tx, a, b)
    result = hub.sync()
    assert not result.report.problems
    (card,) = _cards(hub.folder)  # one copy left: B's was removed
    assert [e.value for e in card.emails] == ["andrea@fabrikam.example", "a.dunker@home.example"]
    assert [p.value for p in card.phones] == ["+47 22 33 44 55"] and card.title == "Buyer"
    with hub.db.transaction(readonly=True) as tx:
        assert [r.id for r in tx.records.list()] == [a]
        assert tx.records.list(deleted=True) == []  # nothing went to Deleted Items
    again = hub.sync()
    assert again.report.done == {} and len(_cards(hub.folder)) == 1  # converged: B is not brought back


def test_i3_an_edit_on_the_phone_to_a_copy_of_the_merged_record_reaches_it(hub):
    a, b = _synced_then_merged(hub)
    hub.sync()
    (path,) = hub.folder.glob("*.vcf")
    _phone_sets_title(path)
    hub.sync()
    assert hub.record(b).id == a and hub.record(a).contact.title == "Chief buyer"


def test_i3_a_marked_copy_of_a_merged_away_record_is_removed_not_linked_to_the_survivor(hub, monkeypatch):
    """A pass killed after creating B's copy, before linking it; then B is merged into A (S12, I3)."""
    from contacthub.sync import apply as apply_module

    a = hub.add(_person("a", emails=[Typed("andrea@fabrikam.example")]))
    hub.sync()
    b = hub.add(_person("b", emails=[Typed("a.dunker@home.example")]))
    real = apply_module.Applier._created

    def killed(self, tx, state, action, result):
        raise KeyboardInterrupt  # the copy is written, its link never is

    monkeypatch.setattr(apply_module.Applier, "_created", killed)
    with pytest.raises(KeyboardInterrupt):
        hub.sync()
    monkeypatch.setattr(apply_module.Applier, "_created", real)
    assert len(_cards(hub.folder)) == 2
    with hub.db.transaction() as tx:
        merge_records(tx, a, b)
    hub.sync()
    (card,) = _cards(hub.folder)
    assert [e.value for e in card.emails] == ["andrea@fabrikam.example", "a.dunker@home.example"]
    assert hub.sync().report.done == {}


def test_i3_s4_an_edit_to_the_merged_away_copy_made_before_the_next_pass_is_kept_not_lost(hub):
    """`merge A B`, then the phone edits B's copy before any pass: the copy goes, the edit stays in A's history."""
    a, b = _synced_then_merged(hub)
    (b_path,) = [p for p in hub.folder.glob("*.vcf") if "a.dunker@home.example" in p.read_text(encoding="utf-8")]
    _phone_sets_title(b_path)
    result = hub.sync()
    assert len(_cards(hub.folder)) == 1  # B's copy still goes: A's is the one copy
    assert [p for p in result.report.problems if "edited since the last pass and its record was merged" in p]
    assert not result.report.failures  # nothing failed: the pass is done
    with hub.db.transaction(readonly=True) as tx:
        kept = [h for h in tx.records.history(a) if h.action == "conflict" and b[:8] in h.note]
    assert len(kept) == 1 and kept[0].contact.title == "Chief buyer"  # the phone's edit is not lost
