"""Contact <-> the Graph contact resource, and the marker property.

| Contact field | Graph contact                                                           |
|---------------|-------------------------------------------------------------------------|
| display_name  | displayName                                                             |
| name          | surname, givenName, middleName, title (prefix), generation (suffix)     |
| nicknames     | nickName (joined with ", ")                                             |
| organization  | companyName                                                             |
| org_units     | department (joined with "; ")                                           |
| title / role  | jobTitle / profession                                                   |
| emails        | emailAddresses (at most 3, no types)                                    |
| phones        | mobilePhone (first cell), homePhones (2 home), businessPhones (2 other) |
|               | faxes and pagers have no place in a Graph contact                       |
| addresses     | businessAddress (work), homeAddress (home), otherAddress (the rest)     |
| urls          | businessHomePage (the first URL)                                        |
| ims           | imAddresses                                                             |
| birthday      | birthday (at 11:59 UTC, so time zones keep the day; no year: 1604)      |
| note          | personalNotes                                                           |
| categories    | categories                                                              |
| uid           | only in the details property                                            |
| anniversary, photo, extra | not held: they stay in the database (S11)                   |

What Graph cannot say inside a held field (email types, phone labels …) is
kept in the details property and restored while the user leaves the field
alone (details.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from contacthub.connector import Marker
from contacthub.connectors.graph.details import details_json, parse_details, restore
from contacthub.connectors.outlook_date import from_outlook_date, to_outlook_date
from contacthub.connectors.outlook_marker import DETAILS_NAME, MARKER_GUID, MARKER_NAME, marker_text, parse_marker
from contacthub.model import Address, Contact, Name, Typed

# The marker's property set is shared with the EWS connector (outlook_marker.py).
MARKER_PROPERTY = f"String {{{MARKER_GUID}}} Name {MARKER_NAME}"
DETAILS_PROPERTY = f"String {{{MARKER_GUID}}} Name {DETAILS_NAME}"
# $expand takes one filter: both properties with "or".
EXPAND = f"singleValueExtendedProperties($filter=id eq '{MARKER_PROPERTY}' or id eq '{DETAILS_PROPERTY}')"
EXPAND_MARKER = f"singleValueExtendedProperties($filter=id eq '{MARKER_PROPERTY}')"

HELD_FIELDS = frozenset(
    {
        "uid", "display_name", "name", "nicknames", "organization", "org_units", "title", "role",
        "emails", "phones", "addresses", "urls", "ims", "birthday", "note", "categories",
    }
)  # fmt: skip

ADDRESS_SLOTS = (("businessAddress", ["work"]), ("homeAddress", ["home"]), ("otherAddress", []))
WORK_VOICE, HOME_VOICE, CELL = ["work", "voice"], ["home", "voice"], ["cell"]


# -- markers -------------------------------------------------------------------------


def properties_of(item: dict[str, Any]) -> dict[str, str]:
    return {
        str(p.get("id", "")).casefold(): p.get("value")
        for p in item.get("singleValueExtendedProperties") or []
        if isinstance(p, dict)
    }


def marker_of(item: dict[str, Any]) -> Marker | None:
    return parse_marker(properties_of(item).get(MARKER_PROPERTY.casefold()))


# -- writing ---------------------------------------------------------------------------


def _text(value: str) -> str | None:
    return value if value else None  # null clears a property in a PATCH


def _phones(phones: list[Typed]) -> tuple[list[str], list[str], str]:
    business: list[str] = []
    home: list[str] = []
    mobile = ""
    for phone in phones:
        types = {t.lower() for t in phone.types}
        if not phone.value or types & {"fax", "pager"}:
            continue
        if "cell" in types and not mobile:
            mobile = phone.value
        elif "home" in types and len(home) < 2:
            home.append(phone.value)
        elif len(business) < 2:
            business.append(phone.value)
    return business, home, mobile


def _address_slots(addresses: list[Address]) -> dict[str, Address]:
    slots: dict[str, Address] = {}
    for address in addresses:
        types = {t.lower() for t in address.types}
        slot = "businessAddress" if "work" in types else "homeAddress" if "home" in types else "otherAddress"
        if slot not in slots:
            slots[slot] = address
    return slots


def _physical(address: Address | None) -> dict[str, str]:
    a = address or Address()
    return {"street": a.street, "city": a.locality, "state": a.region, "postalCode": a.postal_code, "countryOrRegion": a.country}


def _birthday(value: str) -> str | None:
    date = to_outlook_date(value)  # a year-less birthday is stored in 1604, as Outlook does
    return f"{date.isoformat()}T11:59:00Z" if date else None  # None: not a date; the details keep it


def to_graph(contact: Contact) -> dict[str, Any]:
    """The contact resource for a create or a full-replace PATCH (every held property set or cleared)."""
    business, home, mobile = _phones(contact.phones)
    slots = _address_slots(contact.addresses)
    data: dict[str, Any] = {
        "displayName": _text(contact.display_name),
        "givenName": _text(contact.name.given),
        "middleName": _text(contact.name.additional),
        "surname": _text(contact.name.family),
        "title": _text(contact.name.prefix),
        "generation": _text(contact.name.suffix),
        "nickName": _text(", ".join(contact.nicknames)),
        "companyName": _text(contact.organization),
        "department": _text("; ".join(contact.org_units)),
        "jobTitle": _text(contact.title),
        "profession": _text(contact.role),
        "emailAddresses": [{"address": e.value, "name": e.value} for e in contact.emails if e.value][:3],
        "businessPhones": business,
        "homePhones": home,
        "mobilePhone": _text(mobile),
        "businessHomePage": _text(contact.urls[0].value if contact.urls else ""),
        "imAddresses": [i.value for i in contact.ims if i.value][:3],
        "birthday": _birthday(contact.birthday),
        "personalNotes": _text(contact.note),
        "categories": [c for c in contact.categories if c],
    }
    for slot, _types in ADDRESS_SLOTS:
        data[slot] = _physical(slots.get(slot))
    return data


def to_graph_with_marker(contact: Contact, marker: Marker | None) -> dict[str, Any]:
    data = to_graph(contact)
    data["singleValueExtendedProperties"] = [
        {"id": MARKER_PROPERTY, "value": marker_text(marker)},
        {"id": DETAILS_PROPERTY, "value": details_json(contact, HELD_FIELDS)},
    ]
    return data


# -- reading ---------------------------------------------------------------------------


def _s(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _strings(item: dict[str, Any], key: str) -> list[str]:
    value = item.get(key)
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _read_birthday(value: str) -> str:
    try:
        return from_outlook_date(datetime.date.fromisoformat(value[:10]))  # 1604: no year
    except ValueError:
        return ""


def _read_address(item: dict[str, Any], slot: str, types: list[str]) -> Address | None:
    a = item.get(slot)
    if not isinstance(a, dict):
        return None
    address = Address(
        street=_s(a, "street"), locality=_s(a, "city"), region=_s(a, "state"),
        postal_code=_s(a, "postalCode"), country=_s(a, "countryOrRegion"), types=list(types),
    )  # fmt: skip
    return None if not any((address.street, address.locality, address.region, address.postal_code, address.country)) else address


def plain_contact(item: dict[str, Any]) -> Contact:
    """What Graph itself says, without the details."""
    emails = [e for e in item.get("emailAddresses") or [] if isinstance(e, dict) and _s(e, "address")]
    addresses = [_read_address(item, slot, types) for slot, types in ADDRESS_SLOTS]
    return Contact(
        display_name=_s(item, "displayName"),
        name=Name(family=_s(item, "surname"), given=_s(item, "givenName"), additional=_s(item, "middleName"),
                  prefix=_s(item, "title"), suffix=_s(item, "generation")),
        nicknames=[n.strip() for n in _s(item, "nickName").split(",") if n.strip()],
        organization=_s(item, "companyName"),
        org_units=[u.strip() for u in _s(item, "department").split(";") if u.strip()],
        title=_s(item, "jobTitle"),
        role=_s(item, "profession"),
        emails=[Typed(_s(e, "address")) for e in emails],
        phones=[Typed(p, list(WORK_VOICE)) for p in _strings(item, "businessPhones")]
        + [Typed(p, list(HOME_VOICE)) for p in _strings(item, "homePhones")]
        + ([Typed(_s(item, "mobilePhone"), list(CELL))] if _s(item, "mobilePhone") else []),
        addresses=[a for a in addresses if a is not None],
        urls=[Typed(_s(item, "businessHomePage"), ["work"])] if _s(item, "businessHomePage") else [],
        ims=[Typed(i) for i in _strings(item, "imAddresses")],
        birthday=_read_birthday(_s(item, "birthday")),
        note=_s(item, "personalNotes").replace("\r\n", "\n"),
        categories=_strings(item, "categories"),
    )


def written_form(contact: Contact) -> Contact:
    """How a contact the hub writes reads back from Graph."""
    return plain_contact(to_graph(contact))


def to_contact(item: dict[str, Any]) -> Contact:
    """The contact a Graph item holds, exact where the user left the hub's values alone."""
    source = parse_details(properties_of(item).get(DETAILS_PROPERTY.casefold()))
    return restore(plain_contact(item), source, written_form, HELD_FIELDS)
