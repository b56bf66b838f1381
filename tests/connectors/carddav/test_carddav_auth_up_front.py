"""Issue 15: after the first process learnt the server's auth scheme, every later one (each `sync run`)
sends its credentials with its first request: no 401 round trip per pass. Counted on a real Radicale
through a loopback proxy (fault_proxy.py) that records each reply's status."""

from __future__ import annotations

import json

import pytest
from carddav_open import open_connector
from fault_proxy import FaultProxy

from contacthub.connector import AuthError, ConnectorContext
from contacthub.connectors.carddav.auth_memo import AUTH_FILE
from contacthub.connectors.carddav.connector import CardDavConnector


@pytest.fixture
def seen_book(radicale):
    """(the book's URL through the proxy, the proxy): every request and its status in proxy.seen."""
    book = radicale.new_addressbook()
    proxy = FaultProxy(radicale.url)
    yield proxy.url + book[len(radicale.url.rstrip("/")) :], proxy
    proxy.stop()


def _process(radicale, location, cache) -> None:
    """What one `sync run` asks with its freshly opened connector: find the book, list it."""
    connector = open_connector(radicale, location, cache)
    try:
        connector.check()
        list(connector.list())
    finally:
        connector.close()


def test_only_the_first_process_meets_a_401_the_next_ones_send_credentials_up_front(radicale, seen_book, tmp_path):
    location, proxy = seen_book
    cache = tmp_path / "cache"
    _process(radicale, location, cache)
    first = [status for _m, _p, status in proxy.seen]
    assert first.count(401) == 1 and first[-1] != 401, first  # learnt from the challenge
    assert json.loads((cache / AUTH_FILE).read_text())  # the scheme's name, kept for the next process
    assert radicale.password not in (cache / AUTH_FILE).read_text()
    for _ in range(2):
        proxy.seen.clear()
        _process(radicale, location, cache)
        statuses = [status for _m, _p, status in proxy.seen]
        assert statuses and 401 not in statuses, statuses


def test_a_stale_scheme_falls_back_to_the_challenge_and_is_replaced(radicale, seen_book, tmp_path):
    location, proxy = seen_book
    cache = tmp_path / "cache"
    cache.mkdir()
    key = f"{radicale.username} {location}"
    (cache / AUTH_FILE).write_text(json.dumps({key: "bearer"}))  # the server changed, or the memo is wrong
    _process(radicale, location, cache)
    statuses = [status for _m, _p, status in proxy.seen]
    assert statuses.count(401) == 1 and statuses[-1] != 401, statuses
    assert json.loads((cache / AUTH_FILE).read_text()) == {key: "basic"}


def test_a_wrong_password_with_a_remembered_scheme_is_one_auth_error(radicale, seen_book, tmp_path):
    location, proxy = seen_book
    cache = tmp_path / "cache"
    _process(radicale, location, cache)  # learns "basic"
    context = ConnectorContext(cache, secret=lambda ref: "wrong-pass-Zq9!")
    connector = CardDavConnector.open(
        {"location": location, "username": radicale.username, "password": {"env": "ref"}, "timeout": 5}, context
    )
    proxy.seen.clear()
    with pytest.raises(AuthError):
        connector.check()
    connector.close()
    assert [status for _m, _p, status in proxy.seen] == [401, 401]  # the guess, then once by the challenge
