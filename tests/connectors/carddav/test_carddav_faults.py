"""Faults between the hub and a real server (through a loopback proxy): each pass loses nothing,
and the next pass converges."""

from __future__ import annotations

import pytest
from carddav_hub import CardDavHub, person
from carddav_phone import Phone

from contacthub.connector import ConnectorError
from contacthub.connectors.carddav import dav as dav_module
from contacthub.errors import ContactHubError


@pytest.fixture
def hub(tmp_path, server, book, proxy, monkeypatch) -> CardDavHub:
    monkeypatch.setattr(dav_module, "BACKOFF", 0.05)  # keep retries quick; Retry-After is still honoured
    location = proxy.url + book[len(server.url.rstrip("/")):]
    hub = CardDavHub(tmp_path, server, book, location=location, timeout=1.5)
    yield hub
    hub.db.dispose()


def _pass(hub: CardDavHub):
    """One pass that may fail as a whole; returns the result or the error."""
    try:
        return hub.sync()
    except ContactHubError as exc:
        return exc


@pytest.mark.parametrize("fault", ["503", "429"])
def test_throttling_is_waited_out_with_retry_after(hub, proxy, fault):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    proxy.inject("PUT", fault)
    result = hub.sync()
    assert not result.report.problems
    assert (("PUT", fault) in [(m, str(s)) for m, _p, s in proxy.seen])
    hub.assert_converged(ids)


def test_a_connection_reset_mid_create_makes_no_twin(hub, proxy):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    proxy.inject("PUT", "reset")  # the card is stored, its reply is lost: the retry meets If-None-Match
    result = _pass(hub)
    assert not isinstance(result, Exception) and not result.report.problems, result
    assert len([m for m, _p, _s in proxy.seen if m == "PUT"]) == 4  # three cards, one sent twice
    hub.assert_converged(ids)


def test_a_connection_reset_mid_listing_is_retried(hub, proxy):
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    hub.sync()
    hub.edit(ids[0], title="new")
    proxy.inject("REPORT", "reset")
    hub.sync()
    assert hub.copy_card(ids[0])[1].title.value == "new"
    hub.assert_converged(ids)


def test_a_reply_slower_than_the_timeout_is_retried(hub, proxy):
    ids = [hub.add(person(f"P{i}")) for i in range(2)]
    hub.sync()
    hub.edit(ids[1], title="slow")
    proxy.inject("PUT", "slow")  # applied by the server after the client gave up
    result = _pass(hub)
    if not isinstance(result, Exception):
        assert not [p for p in result.report.problems if "could not" in p], result.report.problems
    hub.sync()
    assert hub.copy_card(ids[1])[1].title.value == "slow"
    hub.assert_converged(ids)


def test_a_412_race_keeps_the_phone_edit_and_converges(hub, proxy, server, book):
    ann = hub.add(person("Ann"))
    hub.sync()
    href = hub.copy_card(ann)[0]
    hub.edit(ann, title="from the hub")
    phone = Phone(book, server.auth)
    # The phone saves its edit between the hub's read and its write.
    proxy.inject("PUT", lambda: phone.edit(href, r"^END:VCARD", "NOTE:phone note\r\nEND:VCARD"))
    result = hub.sync()
    assert any("changed during the pass" in p for p in result.report.problems), result.report.problems
    hub.sync()
    record = hub.record(ann).contact
    assert record.title == "from the hub" and record.note == "phone note"
    card = hub.copy_card(ann)[1]
    assert card.title.value == "from the hub" and card.note.value == "phone note"
    hub.assert_converged([ann])


def test_a_server_that_stays_down_ends_the_pass_with_one_error_and_loses_nothing(hub, proxy):
    ids = [hub.add(person(f"P{i}")) for i in range(2)]
    hub.sync()
    hub.edit(ids[0], title="later")
    for _ in range(dav_module.CONNECT_RETRIES + 1):
        proxy.inject("PUT", "reset")
    result = _pass(hub)
    assert isinstance(result, ConnectorError | ContactHubError) or result.report.problems
    assert "\n" not in str(result) if isinstance(result, Exception) else True
    hub.sync()
    assert hub.copy_card(ids[0])[1].title.value == "later"
    hub.assert_converged(ids)
