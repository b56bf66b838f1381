"""`contacthub adopt` on a CardDAV target, through the CLI, on Radicale, Xandikos and Cyrus (A1, A2, A3, S7)."""

from __future__ import annotations

import pytest
from carddav_phone import Phone, marker_of
from carddav_servers import Server

from contacthub.connector import ConnectorContext
from contacthub.connectors.carddav.connector import CardDavConnector

PLAIN_EXTRA = "TEL;TYPE=CELL:+47 22 33 44 55\r\nORG:Fabrikam\r\n"


@pytest.fixture
def phone(server: Server, book: str, run, home, monkeypatch) -> Phone:
    """Sync started with the book (one business contact in it), then a contact made on the phone."""
    run("contact", "add", "--name", "Ann Synced", "--email", "ann@example.com")
    monkeypatch.setenv("DAV_PASSWORD", server.password or "")
    auth = f'username = "{server.username}"\npassword = {{ env = "DAV_PASSWORD" }}\n' if server.username else ""
    with open(home / "config.toml", "a", encoding="utf-8") as config:
        config.write(f'\n[targets.dav]\nconnector = "carddav"\nlocation = "{book}"\n{auth}')
    run("sync", "start", "dav")
    phone = Phone(book, server.auth)
    phone.made = phone.create("Andrea Dunker", extra=PLAIN_EXTRA)  # type: ignore[attr-defined]
    return phone


# The id forms and A3 are the hub's own logic: one server proves them (the suite's time counts).
ONE_SERVER = pytest.mark.parametrize("server", ["radicale"], indirect=True)


def plain_ids(run) -> list[str]:
    return [row["remote_id"] for row in run.json("target", "list") if row["kind"] == "plain"]


def test_a1_adopt_takes_the_id_target_list_prints(run, phone):
    [remote_id] = plain_ids(run)
    assert remote_id == phone.made
    out = run("adopt", remote_id, "--as", "business-contact").stdout
    assert "it is synced" in out
    [andrea] = [r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Andrea Dunker"]
    assert andrea["contact"]["organization"] == "Fabrikam" and andrea["contact"]["uid"] not in phone.cards()[phone.made]
    run("sync", "run")
    cards = phone.parsed()
    assert marker_of(cards[phone.made]) is None  # A2 copy: the phone's contact stays plain and untouched
    copies = [marker_of(card) for card in cards.values() if marker_of(card)]
    assert sorted(m[1] for m in copies) == sorted(r["id"] for r in run.json("contact", "list"))


@ONE_SERVER
def test_a1_adopt_takes_a_bare_file_name_and_a_full_url(run, phone):
    name = phone.made.rpartition("/")[2]
    run("adopt", name, "--as", "account")
    run("adopt", phone.url(phone.made), "--as", "account")
    accounts = [r for r in run.json("contact", "list") if r["type"] == "account"]
    assert [r["contact"]["display_name"] for r in accounts] == ["Andrea Dunker", "Andrea Dunker"]


@ONE_SERVER
def test_a1_an_unknown_id_is_one_clear_line(run, phone):
    result = run("adopt", "no-such-card.vcf", "--as", "business-contact", ok=False)
    assert result.stderr.strip().count("\n") == 0 and "no contact 'no-such-card.vcf'" in result.stderr
    assert "target list" in result.stderr


def test_a2_move_makes_the_phone_contact_the_synced_copy(run, phone):
    etag_before = phone.etags()[phone.made]
    run("adopt", phone.made, "--as", "business-contact", "--move")
    assert plain_ids(run) == []
    [andrea] = [r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Andrea Dunker"]
    run("sync", "run")
    cards = phone.parsed()
    andrea_cards = [href for href, card in cards.items() if card.fn.value == "Andrea Dunker"]
    assert andrea_cards == [phone.made]  # the same card, now marked: no twin
    assert phone.etags()[phone.made] != etag_before
    assert marker_of(cards[phone.made])[1] == andrea["id"]


@ONE_SERVER
def test_a3_move_as_an_account_removes_the_phone_contact(run, phone):
    run("adopt", phone.made.rpartition("/")[2], "--as", "account", "--move")
    assert phone.made not in phone.etags()
    run("sync", "run")
    assert all(card.fn.value != "Andrea Dunker" for card in phone.parsed().values())


def test_a1_fetch_before_the_address_book_is_found_weighs_ids_against_it(server, book, tmp_path):
    """fetch() on a fresh connector found nothing: ids were checked against a book not yet discovered."""
    made = Phone(book, server.auth).create("Pat Plain")
    secrets = {"ref": server.password}
    options = {"location": server.url, "addressbook": book.rstrip("/").rpartition("/")[2], "timeout": 5}
    if server.username:
        options.update(username=server.username, password={"env": "ref"})
    context = ConnectorContext(cache_dir=tmp_path / "cache", secret=lambda ref: secrets[ref["env"]])
    fresh = CardDavConnector.open(options, context)
    try:
        [item] = list(fresh.fetch([made]))
        assert item.contact.display_name == "Pat Plain"
    finally:
        fresh.close()
    bare = CardDavConnector.open(options, context)
    try:
        assert list(bare.fetch([made.rpartition("/")[2]])) == []  # a bare name is no path on the server
    finally:
        bare.close()
