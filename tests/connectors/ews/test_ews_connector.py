"""The ews connector's own behaviour: options, folders, paging, field mapping and labels, what Exchange shows."""

from __future__ import annotations

import pytest
import requests
from ews_helpers import FOLDER, context, open_ews, options
from fake_ews import URL, T

from contacthub.connector import Marker, WriteRequest
from contacthub.connectors.ews import connector as connector_module
from contacthub.connectors.ews.connector import EwsConnector
from contacthub.connectors.ews.mapping import PHONE_LABELS, assign_phones, read_phone
from contacthub.errors import ConfigError
from contacthub.model import Address, Contact, Name, Typed
from contacthub.plugins import load_plugins

MARKER = Marker("db-1", "rec-1")


def create(conn, contact: Contact, marker: Marker = MARKER):
    (result,) = conn.create([WriteRequest(contact, marker)])
    assert result.ok, result.error
    return result.ref


def entries(fake, item_id: str, container: str) -> list[tuple[str, str]]:
    elem = fake._find(item_id)[1].find(f"{{{T}}}{container}")
    return [] if elem is None else [(e.get("Key"), e.text or "") for e in elem]


# -- options and the folder ----------------------------------------------------------


def test_the_plugin_offers_ews_like_any_other_connector():
    info = load_plugins().get("ews")
    assert info.name == "ews" and "location" in info.options and "password" in info.options


@pytest.mark.parametrize("server", ["https://outlook.office365.com/EWS/Exchange.asmx", "https://outlook.office.com/ews/exchange.asmx"])
def test_exchange_online_gets_one_line_pointing_to_the_graph_connector(tmp_path, server):
    with pytest.raises(ConfigError) as caught:
        open_ews(tmp_path, server=server)
    message = str(caught.value)
    assert "graph connector" in message and "October 2026" in message and "\n" not in message


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"location": "Contacts/Business"}, "mailbox address"),
        ({"server": "http://mail.example.com/EWS/Exchange.asmx"}, "https"),
        ({"server": "https://ann:pw@mail.example.com/EWS/Exchange.asmx"}, "not in the URL"),
        ({"auth": "kerberos"}, "auth must be"),
        ({"password": None}, "password is missing"),
        ({"auth": "oauth"}, "token"),
    ],
)
def test_bad_options_are_one_line_config_errors(tmp_path, changes, words):
    with pytest.raises(ConfigError, match=words):
        EwsConnector.open(options(**changes), context(tmp_path))


def test_a_missing_folder_is_created_once_as_a_contacts_folder(fake, tmp_path):
    for _ in range(2):
        conn = open_ews(tmp_path, location="ann@example.com/Contacts/Business/VIP")
        conn.check()
        conn.close()
    vip = fake.folder("Contacts/Business/VIP")
    assert vip.folder_class == "IPF.Contact"
    assert fake.requests.count("CreateFolder") == 2  # Business, then VIP; the second pass finds both


def test_a_folder_outside_contacts_starts_at_the_top_of_the_mailbox(fake, tmp_path):
    conn = open_ews(tmp_path, location="ann@example.com/Shared/Team")
    conn.check()
    create(conn, Contact(display_name="Ann"))
    assert len(fake.folder("Shared/Team").items) == 1
    conn.close()


def test_nothing_goes_anywhere_but_the_configured_endpoint(fake, conn):
    create(conn, Contact(display_name="Ann"))
    list(conn.list())
    assert all(call.request.url == URL for call in fake.mock.calls)
    with pytest.raises(requests.exceptions.ConnectionError):  # responses refuses any other URL
        requests.get("https://autodiscover.example.com/autodiscover/autodiscover.xml", timeout=1)


# -- paging and changes ------------------------------------------------------------------


def test_listing_follows_find_item_pages(fake, conn):
    refs = [r.ref for r in conn.create([WriteRequest(Contact(display_name=f"P{i}"), Marker("db", f"r{i}")) for i in range(130)])]
    assert fake.requests.count("CreateItem") == 2  # 100 + 30, chunked
    fake.requests.clear()
    assert {r.remote_id for r in conn.list()} == {r.remote_id for r in refs}
    assert fake.requests == ["FindItem", "FindItem"]  # two pages of at most 100


def test_changes_follow_sync_folder_items_pages(fake, conn, monkeypatch):
    monkeypatch.setattr(connector_module, "SYNC_PAGE", 2)
    refs = [create(conn, Contact(display_name=f"P{i}"), Marker("db", f"r{i}")) for i in range(5)]
    first = conn.changes("")
    assert {r.remote_id for r in first.changed} == {r.remote_id for r in refs}
    assert fake.requests.count("SyncFolderItems") == 3
    fake.user_edit(refs[0].remote_id, JobTitle="x")
    fake.user_delete(refs[1].remote_id)
    since = conn.changes(first.token)
    assert [r.remote_id for r in since.changed] == [refs[0].remote_id] and since.deleted == [refs[1].remote_id]


def test_s5_a_copy_made_after_the_state_and_deleted_since_is_reported_deleted(fake, conn):
    token = conn.changes("").token
    ref = create(conn, Contact(display_name="Ann"))
    fake.user_delete(ref.remote_id)  # Exchange: created and deleted since the state cancel out
    assert conn.changes(token).deleted == [ref.remote_id]


def test_deleting_moves_the_item_to_deleted_items(fake, conn):
    ref = create(conn, Contact(display_name="Ann"))
    (result,) = conn.delete([WriteRequest(remote_id=ref.remote_id, etag=ref.etag)])
    assert result.ok
    assert [fake.marker(i) for i in fake.trash.items] == ["db-1:rec-1"]


# -- field mapping ---------------------------------------------------------------------------


def test_exchange_shows_every_held_field_in_its_own_place(fake, conn):
    contact = Contact(
        display_name="Dr. Ann Example",
        name=Name(family="Example", given="Ann", additional="B.", prefix="Dr.", suffix="Jr."),
        nicknames=["Annie", "AB"],
        organization="Example Ltd",
        org_units=["Sales", "North"],
        title="Sales lead",
        role="Manager",
        emails=[Typed("ann@example.com", ["work"]), Typed("a2@example.com"), Typed("a3@example.com"), Typed("a4@example.com")],
        addresses=[Address(street="1 High St", locality="London", country="UK", types=["home"], pref=True)],
        urls=[Typed("https://example.com/ann")],
        ims=[Typed("xmpp:ann@example.org")],
        birthday="--04-01",
        anniversary="2005-06-07",
        note="Likes tea",
        categories=["VIP"],
    )
    ref = create(conn, contact)
    def value(tag):
        return fake.value(ref.remote_id, tag)
    assert (value("GivenName"), value("MiddleName"), value("Surname"), value("Generation")) == ("Ann", "B.", "Example", "Jr.")
    assert (value("Nickname"), value("CompanyName"), value("Department")) == ("Annie, AB", "Example Ltd", "Sales; North")
    assert (value("JobTitle"), value("Profession"), value("BusinessHomePage")) == ("Sales lead", "Manager", "https://example.com/ann")
    assert value("Birthday").startswith("1604-04-01") and value("WeddingAnniversary").startswith("2005-06-07")
    assert value("Body") == "Likes tea" and value("PostalAddressIndex") == "Home"
    assert entries(fake, ref.remote_id, "EmailAddresses") == [
        ("EmailAddress1", "ann@example.com"), ("EmailAddress2", "a2@example.com"), ("EmailAddress3", "a3@example.com")
    ]
    assert entries(fake, ref.remote_id, "ImAddresses") == [("ImAddress1", "xmpp:ann@example.org")]
    # The fourth email has no room in Exchange; the copy still reads back whole.
    assert conn.fetch([ref.remote_id]).__next__().contact.emails == contact.emails


def test_phone_types_take_the_labels_of_the_table():
    phones = [
        Typed("1", ["work", "voice"]), Typed("2", ["work"]), Typed("3", ["work"]), Typed("4", ["home"]),
        Typed("5", ["cell"]), Typed("6", ["work", "fax"]), Typed("7", ["fax"]), Typed("8", ["pager"]),
        Typed("9", []), Typed("10", [], pref=True), Typed("11", ["car"]),
    ]
    labels = {phone.value: label for label, phone in assign_phones(phones)}
    assert labels == {
        "1": "BusinessPhone", "2": "BusinessPhone2", "3": "OtherTelephone", "4": "HomePhone", "5": "MobilePhone",
        "6": "BusinessFax", "7": "OtherFax", "8": "Pager", "10": "PrimaryPhone", "11": "CarPhone",
    }  # "9" found OtherTelephone taken: kept in the details, not in Exchange
    # Every label reads back as types that are written to the same label again.
    for label in PHONE_LABELS:
        assert assign_phones([read_phone(label, "5551234")])[0][0] == label.replace("2", ""), label


def test_s4_an_outlook_edit_of_one_phone_keeps_the_others_types(fake, conn):
    phones = [Typed("+44 20 7946 0001", ["work", "voice"], pref=True), Typed("+44 7700 900001", ["cell", "text"])]
    ref = create(conn, Contact(display_name="Ann", phones=phones))
    item = fake._find(ref.remote_id)[1]
    mobile = next(e for e in item.find(f"{{{T}}}PhoneNumbers") if e.get("Key") == "MobilePhone")
    mobile.text = "+44 7700 900999"  # the user types a new mobile number in Outlook
    got = conn.fetch([ref.remote_id]).__next__().contact.phones
    assert got == [phones[0], Typed("+44 7700 900999", ["cell"])]


def test_a_plain_outlook_contact_reads_from_its_fields(fake, conn):
    plain = fake.user_create(fake.folder(FOLDER), DisplayName="Pat Plain", JobTitle="Plumber", Birthday="1604-12-24T11:59:00Z")
    (item,) = conn.fetch([plain])
    assert item.ref.marker is None
    assert (item.contact.display_name, item.contact.title, item.contact.birthday) == ("Pat Plain", "Plumber", "--12-24")
    assert item.contact.uid == ""


def test_damaged_details_fall_back_to_what_exchange_says(fake, conn):
    ref = create(conn, Contact(display_name="Ann", emails=[Typed("ann@example.com", ["work"])]))
    for prop in fake._find(ref.remote_id)[1].findall(f"{{{T}}}ExtendedProperty"):
        if prop.find(f"{{{T}}}ExtendedFieldURI").get("PropertyName") == "contacthub-details":
            prop.find(f"{{{T}}}Value").text = "{not json"
    (item,) = conn.fetch([ref.remote_id])
    assert item.contact.emails == [Typed("ann@example.com")] and item.ref.marker == Marker("db-1", "rec-1")


def test_oauth_sends_the_token_from_the_secret_reference_as_a_bearer(fake, tmp_path):
    conn = open_ews(tmp_path, secrets={"EWS_TOKEN": "eyJ0eXAi.token"}, auth="oauth", password=None, token={"env": "EWS_TOKEN"})
    conn.check()
    assert {call.request.headers.get("Authorization") for call in fake.mock.calls} == {"Bearer eyJ0eXAi.token"}
    conn.close()
