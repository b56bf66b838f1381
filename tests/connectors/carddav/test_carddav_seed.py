"""Option bulk_seed: a first sync fills an empty Radicale address book with one PUT (S1, S7, S12).

Radicale's cost per single PUT grows with the book (see seed.py); one PUT of
the whole book is how the embedded server takes a first sync of thousands.
"""

from __future__ import annotations

import pytest
import requests
from carddav_hub import CardDavHub, person
from defusedxml import ElementTree as ET

from contacthub.connectors.carddav import dav as dav_module
from contacthub.sync.apply import SyncAborted

WHOLE_BOOK = "(all cards)"  # how seed.py names its PUT in `what`


@pytest.fixture
def puts(monkeypatch) -> list[str]:
    """The `what` of every PUT the connector sends (one per card, or one for the whole book)."""
    seen: list[str] = []
    real = dav_module.Dav.request

    def spy(self, method, url, body="", headers=None, **kwargs):
        if method == "PUT":
            seen.append(kwargs.get("what", ""))
        return real(self, method, url, body, headers, **kwargs)

    monkeypatch.setattr(dav_module.Dav, "request", spy)
    return seen


def around_whole_book_put(monkeypatch, before=None, after=None) -> None:
    """Run `before()` just before the whole-book PUT is sent, `after()` once its reply is in."""
    real = dav_module.Dav.request

    def wrapped(self, method, url, body="", headers=None, **kwargs):
        whole_book = method == "PUT" and WHOLE_BOOK in kwargs.get("what", "")
        if whole_book and before:
            before()
        reply = real(self, method, url, body, headers, **kwargs)
        if whole_book and after:
            after()
        return reply

    monkeypatch.setattr(dav_module.Dav, "request", wrapped)


def seed_hub(tmp_path, server, book) -> CardDavHub:
    return CardDavHub(tmp_path, server, book, bulk_seed=True)


def displayname(server, book: str) -> str:
    body = '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><displayname/></prop></propfind>'
    reply = requests.request("PROPFIND", book, data=body, headers={"Depth": "0"}, auth=server.auth, timeout=10)
    return ET.fromstring(reply.content).findtext(".//{DAV:}displayname") or ""


def test_s1_a_first_sync_into_an_empty_radicale_book_is_one_put(tmp_path, radicale, puts):
    book = radicale.new_addressbook("Business contacts")
    hub = seed_hub(tmp_path, radicale, book)
    ids = [hub.add(person(f"P{i:02d}", title=f"Title {i}")) for i in range(30)]
    hub.add(person("Acme"), type_name="account")  # not a business contact: not copied
    result = hub.sync()
    assert puts == [next(p for p in puts if WHOLE_BOOK in p)], puts
    assert result.report.done == {"create-copy": 30} and not result.report.problems
    assert displayname(radicale, book) == "Business contacts"  # the whole-book PUT drops it; put back
    puts.clear()
    hub.assert_converged(ids)  # every copy once, with its marker, and the next pass changes nothing
    assert puts == []
    hub.db.dispose()


def test_s7_a_book_holding_a_phone_contact_is_never_replaced(tmp_path, radicale, puts):
    book = radicale.new_addressbook()
    hub = seed_hub(tmp_path, radicale, book)
    mine = hub.phone.create("Mine Phone")
    card_before = hub.phone.cards()[mine]
    ids = [hub.add(person(f"Q{i}")) for i in range(3)]
    hub.sync()
    assert not any(WHOLE_BOOK in p for p in puts) and len(puts) == 3
    assert hub.phone.cards()[mine] == card_before
    hub.assert_converged(ids)
    hub.db.dispose()


def test_s7_a_phone_card_added_just_before_the_seed_is_kept(tmp_path, radicale, monkeypatch):
    """The book's etag read with its empty listing guards the PUT: the phone's card makes it fail, not vanish."""
    book = radicale.new_addressbook()
    hub = seed_hub(tmp_path, radicale, book)
    ids = [hub.add(person(f"R{i}")) for i in range(4)]
    added: list[str] = []
    around_whole_book_put(monkeypatch, before=lambda: added.append(hub.phone.create("Racing Phone")))
    result = hub.sync()
    assert result.report.done == {"create-copy": 4} and not result.report.problems
    assert added[0] in hub.phone.cards()
    hub.assert_converged(ids)
    hub.db.dispose()


def test_s1_cards_whose_uid_makes_no_safe_unique_name_are_created_one_by_one(tmp_path, radicale, puts):
    book = radicale.new_addressbook()
    hub = seed_hub(tmp_path, radicale, book)
    ids = [
        hub.add(person("Plain")),
        hub.add(person("Slash").copy(uid="a/b")),
        hub.add(person("Dot").copy(uid=".hidden")),
        hub.add(person("Twin1").copy(uid="same")),
        hub.add(person("Twin2").copy(uid="SAME")),
        hub.add(person("NoUid").copy(uid="")),  # its record id is its UID: a safe name, seeded with the book
    ]
    result = hub.sync()
    assert result.report.done == {"create-copy": 6} and not result.report.problems
    assert sum(WHOLE_BOOK in p for p in puts) == 1 and len(puts) == 1 + 3  # a/b, .hidden and one of the twins
    hub.assert_converged(ids)
    hub.db.dispose()


def test_s12_a_seed_whose_reply_is_lost_is_adopted_without_twins(tmp_path, radicale, monkeypatch):
    """The whole-book PUT arrives but its reply never does: the pass stops; the next adopts every card."""
    book = radicale.new_addressbook()
    hub = seed_hub(tmp_path, radicale, book)
    ids = [hub.add(person(f"S{i}")) for i in range(5)]
    real = dav_module.Dav.request

    def reply_lost() -> None:
        raise dav_module.Unreachable("carddav: cannot reach the server (reset)")

    around_whole_book_put(monkeypatch, after=reply_lost)
    with pytest.raises(SyncAborted, match="reply to filling the address book was lost"):
        hub.sync()
    monkeypatch.setattr(dav_module.Dav, "request", real)
    result = hub.sync()
    assert not result.report.problems and result.report.done.get("create-copy", 0) == 0
    hub.assert_converged(ids)
    hub.db.dispose()


def test_s1_a_server_without_whole_book_puts_gets_the_cards_one_by_one(tmp_path, xandikos, puts):
    book = xandikos.new_addressbook()
    hub = seed_hub(tmp_path, xandikos, book)
    ids = [hub.add(person(f"X{i}")) for i in range(3)]
    result = hub.sync()
    assert result.report.done == {"create-copy": 3} and not result.report.problems
    assert sum(WHOLE_BOOK in p for p in puts) <= 1 and sum(WHOLE_BOOK not in p for p in puts) == 3
    hub.assert_converged(ids)
    hub.db.dispose()


def test_s12_a_record_edited_while_its_copy_is_sent_is_merged_on_the_next_pass(tmp_path, radicale, monkeypatch):
    """The copy holds the version read for the seed; it is not linked as the newer one, so the edit goes out next."""
    book = radicale.new_addressbook()
    hub = seed_hub(tmp_path, radicale, book)
    ids = [hub.add(person(f"E{i}", title="Buyer")) for i in range(3)]
    around_whole_book_put(monkeypatch, before=lambda: hub.edit(ids[0], title="Chief buyer"))
    result = hub.sync()
    assert result.report.done == {"create-copy": 2}
    assert any("changed while its copy was made" in p for p in result.report.problems), result.report.problems
    monkeypatch.undo()
    hub.sync()
    assert hub.copy_card(ids[0])[1].title.value == "Chief buyer"
    assert hub.record(ids[0]).contact.title == "Chief buyer"
    hub.assert_converged(ids)
    hub.db.dispose()


def test_s6_a_record_purged_while_its_copy_is_sent_loses_the_copy_on_the_next_pass(tmp_path, radicale, monkeypatch):
    book = radicale.new_addressbook()
    hub = seed_hub(tmp_path, radicale, book)
    ids = [hub.add(person(f"G{i}")) for i in range(3)]

    def purge_first() -> None:
        with hub.db.transaction() as tx:
            tx.records.delete(ids[0], reason="user", source="user")
            tx.records.purge(ids[0])

    around_whole_book_put(monkeypatch, before=purge_first)
    assert hub.sync().report.done == {"create-copy": 2}
    monkeypatch.undo()
    hub.sync()
    assert ids[0] not in hub.copies()
    hub.assert_converged(ids[1:])
    hub.db.dispose()
