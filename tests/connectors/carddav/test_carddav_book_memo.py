"""Issue 15: a `sync run` after the first one finds its address book without discovery: the path the
first process discovered is kept in the cache folder, and the head start's REPORT goes straight to it
(no PROPFIND). A stale path costs one failed REPORT, then discovery as before. Counted on a real
Radicale through a loopback proxy (fault_proxy.py)."""

from __future__ import annotations

import json

import pytest
from carddav_open import open_connector
from fault_proxy import FaultProxy

from contacthub.connector import Marker, WriteRequest
from contacthub.connectors.carddav.book_memo import BOOK_FILE
from contacthub.model import Contact


@pytest.fixture
def seen_book(radicale):
    book = radicale.new_addressbook()
    proxy = FaultProxy(radicale.url)
    yield proxy.url + book[len(radicale.url.rstrip("/")) :], proxy
    proxy.stop()


def _pass(radicale, location, cache, token: str) -> str:
    """One `sync run`'s use of a fresh connector: the head start, then the changes since `token`."""
    connector = open_connector(radicale, location, cache)
    try:
        connector.prefetch()
        return connector.changes(token).token
    finally:
        connector.close()


def test_s4_the_next_process_sends_no_propfind_to_find_its_book(radicale, seen_book, tmp_path):
    location, proxy = seen_book
    cache = tmp_path / "cache"
    first = open_connector(radicale, location, cache)
    next(first.create([WriteRequest(Contact(uid="u1", display_name="N1"), Marker("db", "r1"))]))
    token = first.changes("").token
    first.close()
    assert json.loads((cache / BOOK_FILE).read_text())  # kept for the next process
    for _ in range(2):
        proxy.seen.clear()
        token = _pass(radicale, location, cache, token)
        methods = [method for method, _p, _s in proxy.seen]
        assert methods == ["REPORT"], proxy.seen


def test_s4_a_stale_book_path_falls_back_to_discovery_and_is_replaced(radicale, seen_book, tmp_path):
    location, proxy = seen_book
    cache = tmp_path / "cache"
    first = open_connector(radicale, location, cache)
    ref = next(first.create([WriteRequest(Contact(uid="u1", display_name="N1"), Marker("db", "r1"))])).ref
    token = first.changes("").token
    first.close()
    memo = json.loads((cache / BOOK_FILE).read_text())
    (key, right), = memo.items()
    (cache / BOOK_FILE).write_text(json.dumps({key: "/nobody/gone/"}))
    # no marker cache holds a token for that path: no REPORT is risked on it, the book is found again
    proxy.seen.clear()
    token = _pass(radicale, location, cache, token)
    assert "PROPFIND" in [method for method, _p, _s in proxy.seen]  # found again
    assert json.loads((cache / BOOK_FILE).read_text()) == {key: right}
    assert ref.remote_id.startswith(right)
