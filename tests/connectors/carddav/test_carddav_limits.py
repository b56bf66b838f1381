"""Limits on what the server can make the hub do: reply size, redirects, requests per pass,
and writes that all fail (U2, U4, S4), through the fault proxy in front of a real server."""

from __future__ import annotations

import re

import pytest
from carddav_hub import CardDavHub, person
from carddav_open import open_connector
from carddav_phone import Phone as CardDavPhone
from fault_proxy import FaultProxy

from contacthub.connector import ConnectorError
from contacthub.errors import ContactHubError

CARD_DATA = re.compile(rb"<([\w:]*)response>(?:(?!</\1response>).)*?</\1response>", re.S)
HREF = re.compile(rb"<[\w:]*href>([^<]+)</[\w:]*href>")


def _downloads(proxy, since: int) -> list[str]:
    """The href of every card body the server sent after request number `since` (multiget replies and GETs)."""
    found = []
    for method, path, body in proxy.bodies[since:]:
        if method == "GET" and b"BEGIN:VCARD" in body:
            found.append(path)
        elif method == "REPORT":
            for response in CARD_DATA.finditer(body):
                if b"address-data" in response.group(0) and b"BEGIN:VCARD" in response.group(0):
                    found.append(HREF.search(response.group(0)).group(1).decode())
    return found


def test_u2_a_reply_over_the_cap_is_one_clear_error_naming_the_target_and_is_read_once(tmp_path, server, book, proxy):
    location = proxy.url + book[len(server.url.rstrip("/")):]
    hub = CardDavHub(tmp_path, server, book, location=location, max_reply_mb=0.25)
    try:
        ids = [hub.add(person(f"P{i}")) for i in range(2)]
        hub.sync()
        proxy.pad_bytes = 400_000  # the next sync-collection answer is larger than 0.25 MiB
        connector = hub.open()
        connector.prefetch()  # as `sync run` does: the answer is asked for ahead of the pass
        connector._settle()
        asked = len(proxy.seen)
        with pytest.raises(ContactHubError) as failed:
            hub.sync(connector)
        message = str(failed.value)
        assert "\n" not in message and location.rstrip("/") in message and "max_reply_mb" in message, message
        assert [m for m, _p, _s in proxy.seen[asked:] if m == "REPORT"] == []  # not downloaded a second time
        proxy.pad_bytes = 0
        hub.sync()
        hub.assert_converged(ids)
    finally:
        hub.db.dispose()


def test_u2_a_redirect_loop_is_one_error_naming_it_after_few_requests(server, book, proxy, tmp_path):
    proxy.redirects = {"/a/": proxy.url + "/b/", "/b/": proxy.url + "/a/"}
    connector = open_connector(server, proxy.url + "/a/", tmp_path)
    with pytest.raises(ConnectorError) as failed:
        connector.check()
    message = str(failed.value)
    assert "loop" in message and "/a/" in message and "/b/" in message and "\n" not in message, message
    assert len(proxy.seen) <= 3, proxy.seen  # not retried as a lost connection
    connector.close()


def test_u2_a_redirect_to_another_host_is_not_followed_and_gets_no_credentials(server, book, proxy, tmp_path):
    elsewhere = FaultProxy(server.url)  # the same server, but named as another host
    try:
        other = elsewhere.url.replace("127.0.0.1", "localhost") + book[len(server.url.rstrip("/")):]
        proxy.redirects = {"/moved/": other}
        connector = open_connector(server, proxy.url + "/moved/", tmp_path)
        with pytest.raises(ConnectorError) as failed:
            connector.check()
        message = str(failed.value)
        assert other in message and "another server" in message and "holds no address book" not in message, message
        assert elsewhere.seen == []  # never asked, so never sent the password
        assert [m for m, _p, _s in proxy.seen] == ["PROPFIND"]  # not turned into a GET
        connector.close()
    finally:
        elsewhere.stop()


def test_s4_a_redirect_on_the_same_server_during_discovery_keeps_propfind(server, book, proxy, tmp_path):
    path = book[len(server.url.rstrip("/")):]
    proxy.redirects = {"/dav/": proxy.url + path}
    connector = open_connector(server, proxy.url + "/dav/", tmp_path)
    connector.check()
    assert connector._collection == path
    assert {m for m, _p, _s in proxy.seen} == {"PROPFIND"}
    connector.close()


def test_u4_every_failed_put_reaches_the_engine_as_a_failed_write(proxied_hub, proxy):
    hub = proxied_hub
    ids = [hub.add(person(f"P{i}")) for i in range(3)]
    for _ in ids:
        proxy.inject("PUT", "500")
    result = hub.sync()
    failed = [p for p in result.report.problems if "could not create its copy" in p and "HTTP 500" in p]
    assert len(failed) == 3 and not result.report.done.get("create"), result.report
    assert hub.copies() == {}
    hub.sync()  # the next pass resumes
    hub.assert_converged(ids)


@pytest.mark.parametrize("server", ["radicale"], indirect=True)
def test_s4_no_card_is_downloaded_twice_in_a_pass(proxied_hub, proxy):
    hub = proxied_hub
    ids = [hub.add(person(f"P{i}")) for i in range(8)]
    hub.sync()
    hub.sync()
    start = len(proxy.bodies)
    hub.sync()  # nothing changed anywhere
    quiet = [(m, s) for m, _p, s in proxy.seen[start:] if s != 401]
    assert _downloads(proxy, start) == [] and quiet == [("PROPFIND", 207), ("REPORT", 207)], quiet

    changed = [hub.copy_card(i)[0] for i in ids[:5]]
    for href in changed:
        hub.phone.edit(href, r"^END:VCARD", "NOTE:phone\r\nEND:VCARD")
    start = len(proxy.bodies)
    hub.sync()
    downloads = _downloads(proxy, start)
    assert sorted(downloads) == sorted(changed), downloads  # each changed card once, no other card
    assert all(hub.record(i).contact.note == "phone" for i in ids[:5])
    hub.assert_converged(ids)


@pytest.mark.parametrize("server", ["xandikos"], indirect=True)  # no password: the target fits on the command line
def test_s1_sync_start_finds_the_address_book_once(run, server, book, proxy):
    run("contact", "add", "--name", "Ann Tester", "--email", "ann@example.com")
    run("sync", "start", f"carddav:{proxy.url}{book[len(server.url.rstrip('/')):]}")
    propfinds = [p for m, p, _s in proxy.seen if m == "PROPFIND"]
    assert len(propfinds) == 1, proxy.seen  # the check and the first pass share one connector
    assert len(CardDavPhone(book).cards()) == 1


def test_u2_a_redirect_outside_discovery_is_one_error_naming_it(proxied_hub, proxy):
    hub = proxied_hub
    ann = hub.add(person("Ann"))
    hub.sync()
    href = hub.copy_card(ann)[0]
    proxy.redirects = {href: proxy.url + "/elsewhere.vcf"}
    hub.edit(ann, title="new")
    result = hub.sync()
    [problem] = result.report.problems
    assert "redirects" in problem and "/elsewhere.vcf" in problem and "\n" not in problem, problem
    assert not [p for m, p, _s in proxy.seen if p == "/elsewhere.vcf"]  # not followed
    proxy.redirects = {}
    hub.sync()
    hub.assert_converged([ann])
