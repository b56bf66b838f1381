"""`contact merge` on a real CardDAV server: the merged record syncs as one copy (I3, S6)."""

from __future__ import annotations

import pytest
from carddav_hub import CardDavHub, person

from contacthub.model import Typed
from contacthub.record_merge import merge_records


@pytest.fixture
def hub(tmp_path, server, book) -> CardDavHub:
    hub = CardDavHub(tmp_path, server, book)
    yield hub
    hub.db.dispose()


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
