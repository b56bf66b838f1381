"""Servers that store a card other than it was sent, and the server's clock (S14, S10).

The rewriting server is the fault proxy's `rewriting` mode in front of a real
Radicale: it behaves as DAViCal and SabreDAV-based servers (Nextcloud, Baïkal)
do, and as RFC 6352 section 6.3.2 asks of them (no ETag on the PUT's reply).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from carddav_hub import CardDavHub, person

from contacthub.sync.target import SyncSettings

RADICALE = pytest.mark.parametrize("server", ["radicale"], indirect=True)


def _unfolded(text: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", text)


def _puts(proxy) -> int:
    return sum(1 for method, _path, _status in proxy.seen if method == "PUT")


@RADICALE
def test_s14_a_rewriting_server_leaves_categories_and_nickname_intact_when_the_phone_changes_the_note(proxied_hub, proxy):
    hub = proxied_hub
    proxy.rewriting = True
    ann = hub.add(person("Ann", categories=["VIP, Gold", "Customer"], nicknames=["Bob", "Bobby"]))
    before = hub.record(ann).contact
    hub.sync()
    href, _card = hub.copy_card(ann)
    stored = _unfolded(hub.phone.cards()[href])
    # The server did rewrite the card (what the connector must not read as a phone's edit).
    assert "CATEGORIES:VIP, Gold,Customer" in stored and "NICKNAME:Bob\\,Bobby" in stored and "REV:" in stored
    assert ("GET", href, 200) in proxy.seen  # no ETag on the PUT: the stored card was read back

    hub.phone.edit(href, r"^END:VCARD", "NOTE:phone note\r\nEND:VCARD")
    result = hub.sync()
    assert not result.report.problems, result.report.problems
    after = hub.record(ann).contact
    assert after.categories == ["VIP, Gold", "Customer"] and after.nicknames == ["Bob", "Bobby"]
    assert after.to_dict() == before.copy(note="phone note").to_dict()  # only NOTE changed
    assert not [e for e in after.extra if e.name.upper() == "REV"]

    puts = _puts(proxy)
    for _ in range(3):  # no write, no change, on the passes after it
        again = hub.sync()
        assert again.report.done == {} and not again.report.problems, (again.report.done, again.report.problems)
    assert _puts(proxy) == puts
    assert hub.record(ann).contact.to_dict() == after.to_dict()


@RADICALE
def test_s14_a_hub_edit_to_a_rewritten_card_keeps_the_fields_it_did_not_touch(proxied_hub, proxy):
    hub = proxied_hub
    proxy.rewriting = True
    ann = hub.add(person("Ann", categories=["VIP, Gold"], nicknames=["Bob", "Bobby"], title="Buyer"))
    hub.sync()
    hub.edit(ann, title="Chief buyer")
    hub.sync()
    hub.phone.edit(hub.copy_card(ann)[0], r"^END:VCARD", "NOTE:seen\r\nEND:VCARD")
    hub.sync()
    record = hub.record(ann).contact
    assert (record.title, record.note, record.categories, record.nicknames) == ("Chief buyer", "seen", ["VIP, Gold"], ["Bob", "Bobby"])
    assert hub.sync().report.done == {}


@RADICALE
def test_s14_a_phone_edit_of_a_rewritten_field_is_still_a_change(proxied_hub, proxy):
    hub = proxied_hub
    proxy.rewriting = True
    ann = hub.add(person("Ann", categories=["VIP, Gold"]))
    hub.sync()
    hub.phone.edit(hub.copy_card(ann)[0], r"^CATEGORIES:.*$", "CATEGORIES:Prospect")
    hub.sync()
    assert hub.record(ann).contact.categories == ["Prospect"]


def _rev(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("REV:%Y%m%dT%H%M%SZ")


def test_s10_rev_is_the_servers_clock_never_record_data_and_orders_newest_wins(tmp_path, server, book):
    hub = CardDavHub(tmp_path, server, book)
    hub.settings = SyncSettings(hub.settings.target, conflict="newest-wins")
    try:
        ann = hub.add(person("Ann", title="Buyer"))
        hub.sync()
        href = hub.copy_card(ann)[0]
        # The phone's edit carries its clock, an old one.
        hub.phone.edit(href, r"^END:VCARD", "NOTE:phone note\r\n" + _rev(datetime(2020, 1, 1, tzinfo=UTC)) + "\r\nEND:VCARD")
        hub.sync()
        record = hub.record(ann).contact
        assert record.note == "phone note"
        assert not [e for e in record.extra if e.name.upper() == "REV"]  # never record data
        hub.edit(ann, display_name="Ann Tester")  # the hub writes the card again …
        hub.edit(ann, role="Lead")
        hub.sync()
        assert "REV:2020" not in _unfolded(hub.phone.cards()[href])  # … without the stale clock

        # Both sides change the title: the phone's edit is newer by its REV, so it wins.
        hub.edit(ann, title="from the database")
        later = datetime.now(UTC) + timedelta(hours=1)
        hub.phone.edit(href, r"^TITLE:.*$", "TITLE:from the phone\r\n" + _rev(later))
        result = hub.sync()
        assert hub.record(ann).contact.title == "from the phone", result.report.conflicts

        # And an edit whose REV is older than the record's loses.
        hub.edit(ann, title="database again")
        hub.phone.edit(href, r"^TITLE:.*$", "TITLE:old phone edit")
        hub.phone.edit(href, r"^REV:.*$", _rev(datetime(2021, 1, 1, tzinfo=UTC)))
        hub.sync()
        assert hub.record(ann).contact.title == "database again"
    finally:
        hub.db.dispose()
