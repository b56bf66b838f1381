"""D1: record types — built-ins and custom types based on business contact or account."""

from __future__ import annotations

import pytest
from store_helpers import contact

from contacthub.errors import ContactHubError, NotFoundError
from contacthub.store import open_database


def test_d1_builtin_types_exist_once_and_are_builtin(db):
    with db.transaction() as tx:
        types = tx.types.list()
    assert [(t.name, t.based_on, t.builtin) for t in types] == [
        ("business-contact", "business-contact", True),
        ("account", "account", True),
    ]
    assert types[0].is_business_contact and not types[1].is_business_contact


def test_d1_custom_type_based_on_business_contact_is_a_business_contact(db):
    with db.transaction() as tx:
        lead = tx.types.add("Lead", "business-contact")
        supplier = tx.types.add("Supplier", "account")
    assert (lead.name, lead.builtin, lead.is_business_contact) == ("Lead", False, True)
    assert (supplier.name, supplier.builtin, supplier.is_business_contact) == ("Supplier", False, False)
    with db.transaction() as tx:
        assert [t.name for t in tx.types.list()] == ["business-contact", "account", "Lead", "Supplier"]
        assert tx.types.get("lead").is_business_contact  # case-insensitive lookup
        assert not tx.types.get("SUPPLIER").is_business_contact


def test_d1_record_keeps_its_custom_type_and_filters_by_it(db):
    with db.transaction() as tx:
        tx.types.add("Lead", "business-contact")
        lead = tx.records.add(contact("Lea Lead"), type_name="lead")
        tx.records.add(contact("Bob Plain"))
    with db.transaction() as tx:
        got = tx.records.get(lead.id)
        assert got.type.name == "Lead" and got.type.is_business_contact
        assert [r.id for r in tx.records.list(type_name="Lead")] == [lead.id]
        # a built-in type's filter takes in the types based on it (D1, issue 14)
        assert [r.contact.display_name for r in tx.records.list(type_name="business-contact")] == ["Bob Plain", "Lea Lead"]


def test_d1_type_names_are_unique_ignoring_case(db):
    with db.transaction() as tx:
        tx.types.add("Lead", "business-contact")
    for name in ["Lead", "lead", "LEAD ", "Business-Contact", "ACCOUNT"]:
        with pytest.raises(ContactHubError, match="already exists") as err:
            with db.transaction() as tx:
                tx.types.add(name, "account")
        assert "\n" not in str(err.value)
    with db.transaction() as tx:
        assert len(tx.types.list()) == 3


def test_d1_custom_type_must_be_based_on_a_base_kind(db):
    with db.transaction() as tx:
        tx.types.add("Lead", "business-contact")
    for based_on in ["Lead", "person", ""]:
        with pytest.raises(ContactHubError, match="choose business-contact or account"):
            with db.transaction() as tx:
                tx.types.add("Hot lead", based_on)
    with db.transaction() as tx:
        assert tx.types.add("Hot lead", " Business-Contact ").based_on == "business-contact"


def test_d1_type_name_must_be_sensible(db):
    with db.transaction() as tx:
        for bad in ["", "   ", "a\nb", "x" * 101]:
            with pytest.raises(ContactHubError):
                tx.types.add(bad, "account")


def test_d1_unknown_type_is_not_found_naming_it_and_the_known_ones(db):
    with db.transaction() as tx:
        with pytest.raises(NotFoundError) as err:
            tx.types.get("Prospect")
        assert str(err.value) == "unknown record type 'Prospect' (known: business-contact, account)"
        with pytest.raises(NotFoundError, match="'Prospect'"):
            tx.records.add(contact(), type_name="Prospect")
        with pytest.raises(NotFoundError, match="'Prospect'"):
            tx.records.list(type_name="Prospect")


def test_d1_duplicate_add_fails_alone_and_keeps_the_transaction_usable(db):
    with db.transaction() as tx:
        tx.types.add("Lead", "business-contact")
        with pytest.raises(ContactHubError):
            tx.types.add("lead", "business-contact")
        tx.types.add("Partner", "account")  # same transaction goes on
    with db.transaction() as tx:
        assert [t.name for t in tx.types.list()][2:] == ["Lead", "Partner"]


def test_d1_custom_types_survive_reopening(db):
    with db.transaction() as tx:
        tx.types.add("Lead", "business-contact")
    url = db.engine.url
    db.dispose()
    again = open_database(url)
    try:
        with again.transaction() as tx:
            assert tx.types.get("Lead").is_business_contact
    finally:
        again.dispose()
