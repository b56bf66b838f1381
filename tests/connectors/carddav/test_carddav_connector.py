"""What only a CardDAV server can get wrong: discovery, credentials, downloads, tokens, outside view."""

from __future__ import annotations

import logging

import pytest
from carddav_hub import CardDavHub, person
from carddav_open import open_connector
from carddav_phone import Phone, marker_of
from carddav_servers import start_radicale

from contacthub.connector import AuthError, Marker, TargetError, TokenExpired, WriteRequest
from contacthub.connectors.carddav import dav as dav_module
from contacthub.connectors.carddav.dav import Reply
from contacthub.errors import ConfigError
from contacthub.model import Contact


@pytest.fixture
def lone_radicale(tmp_path):
    """A Radicale of its own (plain htpasswd), where the user has exactly one address book."""
    server = start_radicale(tmp_path / "lone", encryption="plain")
    yield server
    server.stop()


@pytest.fixture
def requests_seen(monkeypatch) -> list[tuple[str, str]]:
    """(method, first 60 chars of body) of every request the connector sends."""
    seen: list[tuple[str, str]] = []
    real = dav_module.Dav.request

    def spy(self, method, url, body="", *args, **kwargs):
        seen.append((method, body[:300] if isinstance(body, str) else ""))
        return real(self, method, url, body, *args, **kwargs)

    monkeypatch.setattr(dav_module.Dav, "request", spy)
    return seen


# -- discovery (RFC 6764) ------------------------------------------------------------


def test_discovery_from_the_bare_server_url_finds_the_only_address_book(lone_radicale, tmp_path):
    book = lone_radicale.new_addressbook("Business")
    conn = open_connector(lone_radicale, lone_radicale.url, tmp_path / "cache")
    conn.check()
    ref = conn.create([WriteRequest(Contact(uid="a", display_name="A"), Marker("db", "r"))]).__next__().ref
    assert ref.remote_id.startswith("/alice/Business/")
    assert list(Phone(book, lone_radicale.auth).etags()) == [ref.remote_id]


def test_several_address_books_and_none_named_is_a_one_line_error_listing_them(server, tmp_path):
    first, second = server.new_addressbook(), server.new_addressbook()
    conn = open_connector(server, server.url, tmp_path / "cache")
    with pytest.raises(TargetError) as caught:
        conn.check()
    message = str(caught.value)
    assert "\n" not in message and "option addressbook" in message
    assert first.rstrip("/").rpartition("/")[2] in message and second.rstrip("/").rpartition("/")[2] in message


def test_discovery_picks_the_named_address_book_from_the_server_root(server, tmp_path):
    server.new_addressbook()
    book = server.new_addressbook()
    name = book.rstrip("/").rpartition("/")[2]
    conn = open_connector(server, server.url, tmp_path / "cache", addressbook=name)
    conn.check()
    assert conn._collection.endswith(f"/{name}/")


def test_discovery_falls_back_to_well_known_when_the_url_is_no_dav_resource(xandikos, tmp_path):
    book = xandikos.new_addressbook()
    name = book.rstrip("/").rpartition("/")[2]
    # /nowhere/ answers 404; /.well-known/carddav redirects (302) to the root, which names the principal.
    conn = open_connector(xandikos, xandikos.url + "nowhere/", tmp_path / "cache", addressbook=name)
    conn.check()
    assert conn._collection.endswith(f"/{name}/")


def test_an_unknown_address_book_name_is_an_error_naming_the_choices(server, book, tmp_path):
    conn = open_connector(server, server.url, tmp_path / "cache", addressbook="No Such Book")
    with pytest.raises(TargetError, match="no address book 'No Such Book'"):
        conn.check()


# -- credentials --------------------------------------------------------------------------


def test_a_wrong_password_is_auth_error_in_one_line_without_the_password(radicale, tmp_path, caplog):
    book = radicale.new_addressbook()
    wrong = "wrong-pass-Zq9!"
    context_password = {"env": "ref"}
    from contacthub.connector import ConnectorContext
    from contacthub.connectors.carddav.connector import CardDavConnector

    context = ConnectorContext(tmp_path / "cache", secret=lambda ref: wrong)
    conn = CardDavConnector.open({"location": book, "username": radicale.username, "password": context_password}, context)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        conn.check()
    message = str(caught.value)
    assert "\n" not in message and book.split("//")[1].split("/")[0] in message
    assert wrong not in message and wrong not in caplog.text and radicale.password not in caplog.text


def test_credentials_in_the_url_are_refused(radicale, tmp_path):
    with pytest.raises(ConfigError, match="username"):
        open_connector(radicale, radicale.url.replace("http://", "http://alice:pw@"), tmp_path / "cache")


# -- downloads and tokens ------------------------------------------------------------------


def test_a_pass_with_no_change_downloads_no_card(server, book, tmp_path, requests_seen):
    hub = CardDavHub(tmp_path, server, book)
    ids = [hub.add(person(f"P{i}")) for i in range(5)]
    hub.phone.create("Pat Plain")
    hub.sync()
    hub.sync()  # settles the cards the first pass wrote
    requests_seen.clear()
    result = hub.sync()
    assert result.report.done == {}
    assert not [m for m, body in requests_seen if m == "GET" or "addressbook-multiget" in body], requests_seen
    assert set(hub.copies()) == set(ids)
    hub.db.dispose()


def test_an_edited_card_is_downloaded_alone(server, book, tmp_path, requests_seen):
    conn = open_connector(server, book, tmp_path / "cache")
    refs = [r.ref for r in conn.create([WriteRequest(Contact(uid=f"u{i}", display_name=f"N{i}"), Marker("db", f"r{i}")) for i in range(4)])]
    first = conn.changes("")
    Phone(book, server.auth).edit(refs[2].remote_id, r"^FN:N2", "FN:Changed")
    requests_seen.clear()
    since = conn.changes(first.token)
    assert [r.remote_id for r in since.changed] == [refs[2].remote_id] and since.changed[0].marker == Marker("db", "r2")
    multigets = [body for m, body in requests_seen if "addressbook-multiget" in body]
    assert len(multigets) == 1 and multigets[0].count("<D:href>") == 1


def sync_reports(seen) -> int:
    return sum(1 for method, body in seen if method == "REPORT" and "sync-collection" in body)


def test_s4_prefetch_gives_changes_its_answer_for_the_same_token(server, book, tmp_path, requests_seen):
    """`sync run` starts the sync-collection while the database loads; the pass then sends none of its own."""
    first = open_connector(server, book, tmp_path / "cache")
    ref = next(first.create([WriteRequest(Contact(uid="u1", display_name="N1"), Marker("db", "r1"))])).ref
    token = first.changes("").token
    first.close()
    Phone(book, server.auth).edit(ref.remote_id, r"^FN:N1", "FN:Changed on the phone")
    requests_seen.clear()
    conn = open_connector(server, book, tmp_path / "cache")  # a fresh process's connector, same cache
    conn.prefetch()
    since = conn.changes(token)
    assert [r.remote_id for r in since.changed] == [ref.remote_id]
    assert sync_reports(requests_seen) == 1
    conn.close()


def test_s4_prefetch_for_another_token_is_not_used(server, book, tmp_path, requests_seen):
    """A pass that failed kept an older token than the cache's last one: the pass asks for its own."""
    conn = open_connector(server, book, tmp_path / "cache")
    ref = next(conn.create([WriteRequest(Contact(uid="u1", display_name="N1"), Marker("db", "r1"))])).ref
    older = conn.changes("").token
    conn.changes(older)  # the cache's last token is now a newer one (Radicale: the same when nothing changed)
    conn.close()
    Phone(book, server.auth).edit(ref.remote_id, r"^FN:N1", "FN:Changed")
    conn = open_connector(server, book, tmp_path / "cache")
    conn._marker_cache().issued("a-token-the-pass-does-not-hold")
    conn.close()  # saved: the next process's prefetch reads it from the cache file
    conn = open_connector(server, book, tmp_path / "cache")
    requests_seen.clear()
    conn.prefetch()
    since = conn.changes(older)
    assert [r.remote_id for r in since.changed] == [ref.remote_id]
    assert sync_reports(requests_seen) == 2
    conn.close()


def test_prefetch_reads_the_token_from_the_cache_files_head_and_falls_back_to_the_whole_file(server, book, tmp_path):
    """Issue 15: the sync-collection goes out before the marker cache (every card's entry) is read."""
    from contacthub.connectors.carddav.markers import CACHE_FILE, MarkerCache, peek_latest_token

    conn = open_connector(server, book, tmp_path / "cache")
    conn.create([WriteRequest(Contact(uid=f"u{i}", display_name=f"N{i}"), Marker("db", f"r{i}")) for i in range(3)])
    conn.changes(conn.changes("").token)
    collection = conn.dav.url_of(conn._book())
    conn.close()
    latest = MarkerCache(tmp_path / "cache", collection).latest_token()
    assert latest and peek_latest_token(tmp_path / "cache", collection) == latest
    assert peek_latest_token(tmp_path / "cache", collection + "other/") == ""  # another book: no token
    (tmp_path / "cache" / CACHE_FILE).write_text('{"version": 1, "tokens": ')  # damaged: the whole file decides
    assert peek_latest_token(tmp_path / "cache", collection) is None


def test_u2_prefetch_leaves_failures_to_the_pass(radicale, tmp_path):
    from contacthub.connector import ConnectorContext
    from contacthub.connectors.carddav.connector import CardDavConnector

    book = radicale.new_addressbook()
    context = ConnectorContext(tmp_path / "cache", secret=lambda ref: "not the password")
    conn = CardDavConnector.open({"location": book, "username": radicale.username, "password": {"env": "X"}}, context)
    conn.prefetch()
    conn.check()  # does not wait for the head start: the hub's set-up goes on meanwhile
    with pytest.raises(AuthError):  # met again, and reported, by the pass's own first request
        conn.changes("")
    conn.close()


def test_garbage_and_foreign_tokens_are_token_expired(server, book, tmp_path):
    conn = open_connector(server, book, tmp_path / "cache")
    conn.changes("")
    with pytest.raises(TokenExpired):
        conn.changes("http://example.com/ns/sync/1234")  # the server refuses it (Radicale 403, Xandikos 412)


def test_a_truncated_sync_reply_is_followed_to_the_end(server, book, tmp_path, monkeypatch):
    conn = open_connector(server, book, tmp_path / "cache")
    refs = [r.ref for r in conn.create([WriteRequest(Contact(uid=f"u{i}"), Marker("db", f"r{i}")) for i in range(2)])]
    path = conn._collection
    pages = iter([
        (f"<D:response><D:href>{refs[0].remote_id}</D:href><D:propstat><D:prop><D:getetag>{refs[0].etag}</D:getetag></D:prop>"
         "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
         f"<D:response><D:href>{path}</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status>"
         "<D:error><D:number-of-matches-within-limits/></D:error></D:response><D:sync-token>page-2</D:sync-token>"),
        (f"<D:response><D:href>{refs[1].remote_id}</D:href><D:propstat><D:prop><D:getetag>{refs[1].etag}</D:getetag></D:prop>"
         "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response><D:sync-token>done</D:sync-token>"),
    ])
    asked: list[str] = []
    real = dav_module.Dav.request

    def paged(self, method, url, body="", *args, **kwargs):
        if method == "REPORT" and "sync-collection" in body:
            asked.append(body.split("<D:sync-token>")[1].split("<")[0])
            return Reply(207, {}, f'<D:multistatus xmlns:D="DAV:">{next(pages)}</D:multistatus>'.encode())
        return real(self, method, url, body, *args, **kwargs)

    monkeypatch.setattr(dav_module.Dav, "request", paged)
    changes = conn.changes("")
    assert asked == ["", "page-2"] and changes.token == "done"
    assert {r.remote_id for r in changes.changed} == {refs[0].remote_id, refs[1].remote_id}


def test_a_reply_with_an_xml_entity_bomb_is_refused(server, book, tmp_path, monkeypatch):
    conn = open_connector(server, book, tmp_path / "cache")
    conn.check()
    bomb = (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<D:multistatus xmlns:D="DAV:"><D:sync-token>&b;</D:sync-token></D:multistatus>')
    monkeypatch.setattr(dav_module.Dav, "request", lambda self, *a, **k: Reply(207, {}, bomb))
    with pytest.raises(TargetError, match="unreadable XML"):
        conn.changes("")


# -- the view from outside ------------------------------------------------------------------


def test_an_independent_client_finds_exactly_the_business_contacts_marked_and_the_plain_ones_untouched(server, book, tmp_path):
    hub = CardDavHub(tmp_path, server, book)
    phone = Phone(book, server.auth)
    plain = {phone.create("Pat Plain", extra="TEL:+44 1632 960001\r\n"), phone.create("Quinn Plain")}
    before = {href: text for href, text in phone.cards().items()}
    ids = {hub.add(person(name)): name for name in ("Ann", "Ben", "Cid")}
    hub.add(person("Acme"), type_name="account")
    hub.sync()

    cards = phone.parsed()
    marked = {href: marker_of(card) for href, card in cards.items() if marker_of(card)}
    assert sorted(m[1] for m in marked.values()) == sorted(ids)
    assert {m[0] for m in marked.values()} == {hub.db.id}
    for href, (_db, record_id) in marked.items():
        assert cards[href].fn.value == f"{ids[record_id]} Tester"
        assert cards[href].email.value == f"{ids[record_id].lower()}@example.com"
    assert set(cards) - set(marked) == plain
    assert {h: phone.cards()[h] for h in plain} == before
    hub.db.dispose()


# -- options and plugin ----------------------------------------------------------------------


def test_turning_tls_checks_off_is_never_silent(tmp_path, caplog):
    from contacthub.connector import ConnectorContext
    from contacthub.connectors.carddav.connector import CardDavConnector

    context = ConnectorContext(tmp_path, secret=lambda ref: "pw")
    conn = CardDavConnector.open({"location": "https://dav.example.com/", "verify_tls": "false"}, context)
    assert conn.dav.verify_tls is False
    assert "TLS certificate checks are OFF for https://dav.example.com/" in caplog.text
    default = CardDavConnector.open({"location": "https://dav.example.com/"}, context)
    assert default.dav.verify_tls is True


def test_the_builtin_plugin_offers_carddav_with_its_options():
    from contacthub.connectors.carddav import plugin
    from contacthub.plugins import builtin_modules

    assert builtin_modules()["carddav"] == "contacthub.connectors.carddav.plugin"
    (info,) = plugin.contacthub_connectors()
    assert info.name == "carddav" and {"location", "username", "password", "addressbook", "verify_tls"} <= set(info.options)
