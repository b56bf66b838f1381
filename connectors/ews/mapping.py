"""Contact <-> exchangelib Contact: which EWS field holds what, and the label tables.

| Contact field   | EWS (exchangelib)                                                  |
|-----------------|--------------------------------------------------------------------|
| display_name    | DisplayName (required by EWS: the best name is written when empty) |
| name            | Surname, GivenName, MiddleName, Generation; prefix in 0x3A45       |
| nicknames       | Nickname (joined with ", ")                                        |
| organization    | CompanyName                                                        |
| org_units       | Department (joined with "; ")                                      |
| title / role    | JobTitle / Profession                                              |
| emails          | EmailAddress1-3, in order                                          |
| phones          | PhoneNumbers, by PHONE_LABELS below                                |
| addresses       | PhysicalAddresses Business / Home / Other (ADDRESS_LABELS)         |
| urls            | BusinessHomePage (the first URL)                                   |
| ims             | ImAddress1-3, in order                                             |
| birthday        | Birthday (no year: 1604, Outlook's "no year")                      |
| anniversary     | WeddingAnniversary                                                 |
| note            | Body (text)                                                        |
| categories      | Categories                                                         |
| uid             | only in the details property                                       |
| photo, extra    | not held: they stay in the database (S11)                          |

Exchange keeps less than a vCard inside some of these fields: no types on
emails, one label per phone, three addresses, one URL. Read back plainly, a
copy would differ from what the hub wrote and the engine would take that loss
as the user's edit. So every write also stores the written values in the
details property; reading, a field whose Exchange value is exactly what the
details would produce is taken from the details (the round trip is exact),
and a field the user changed is read from Exchange, element by element: an
element the user left alone keeps its details, elements Exchange had no room
for are kept, edits and new elements come as Exchange has them.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
import re
from collections.abc import Callable
from typing import Any

from exchangelib import Body
from exchangelib import Contact as EwsContact
from exchangelib.indexed_properties import (
    EmailAddress,
    ImAddress,
    PhoneNumber,
    PhysicalAddress,
)
from exchangelib.properties import HTMLBody

from contacthub.connectors.ews.properties import DETAILS_ATTR, PREFIX_ATTR
from contacthub.connectors.outlook_date import from_outlook_date, to_outlook_date
from contacthub.model import Address, Contact, Name, Typed

# The Contact fields an Exchange contact holds (S2, S11).
HELD_FIELDS = frozenset(
    {
        "uid", "display_name", "name", "nicknames", "organization", "org_units", "title", "role",
        "emails", "phones", "addresses", "urls", "ims", "birthday", "anniversary", "note", "categories",
    }
)

# Phone labels, in the order they are read (so a re-write gives the same labels),
# each with the types a phone with that label reads back with.
PHONE_LABELS: dict[str, list[str]] = {
    "PrimaryPhone": [],  # read with pref=True
    "BusinessPhone": ["work", "voice"],
    "BusinessPhone2": ["work", "voice"],
    "HomePhone": ["home", "voice"],
    "HomePhone2": ["home", "voice"],
    "MobilePhone": ["cell"],
    "BusinessFax": ["work", "fax"],
    "HomeFax": ["home", "fax"],
    "OtherFax": ["fax"],
    "Pager": ["pager"],
    "CarPhone": ["car"],
    "Isdn": ["isdn"],
    "TtyTddPhone": ["textphone"],
    "CompanyMainPhone": ["main"],
    "AssistantPhone": ["x-assistant"],
    "Callback": ["x-callback"],
    "RadioPhone": ["x-radio"],
    "Telex": ["x-telex"],
    "OtherTelephone": [],
}
FALLBACK_PHONE = "OtherTelephone"

ADDRESS_LABELS: dict[str, list[str]] = {"Business": ["work"], "Home": ["home"], "Other": []}

DETAILS_VERSION = 1
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def phone_label_choices(phone: Typed) -> list[str]:
    """The labels a phone may take, best first (the first free one is used)."""
    types = {t.lower() for t in phone.types}
    if "fax" in types:
        return ["BusinessFax"] if "work" in types else ["HomeFax"] if "home" in types else ["OtherFax"]
    for kind, label in (("cell", "MobilePhone"), ("pager", "Pager"), ("car", "CarPhone"), ("isdn", "Isdn"),
                        ("textphone", "TtyTddPhone"), ("main", "CompanyMainPhone"), ("x-assistant", "AssistantPhone"),
                        ("x-callback", "Callback"), ("x-radio", "RadioPhone"), ("x-telex", "Telex")):
        if kind in types:
            return [label]
    if "work" in types:
        return ["BusinessPhone", "BusinessPhone2"]
    if "home" in types:
        return ["HomePhone", "HomePhone2"]
    if phone.pref:
        return ["PrimaryPhone"]
    return []


def assign_phones(phones: list[Typed]) -> list[tuple[str, Typed]]:
    """(label, phone) for the phones Exchange has room for; a taken label falls back to OtherTelephone."""
    taken: dict[str, Typed] = {}
    for phone in phones:
        value = clean(phone.value)
        if not value:
            continue
        label = next((c for c in [*phone_label_choices(phone), FALLBACK_PHONE] if c not in taken), None)
        if label is not None:
            taken[label] = phone
    return [(label, taken[label]) for label in PHONE_LABELS if label in taken]


def read_phone(label: str, value: str) -> Typed:
    return Typed(value, list(PHONE_LABELS.get(label, [])), pref=label == "PrimaryPhone")


def assign_addresses(addresses: list[Address]) -> list[tuple[str, Address]]:
    taken: dict[str, Address] = {}
    for address in addresses:
        types = {t.lower() for t in address.types}
        wanted = "Business" if "work" in types else "Home" if "home" in types else "Other"
        label = next((c for c in (wanted, "Other", "Business", "Home") if c not in taken), None)
        if label is not None:
            taken[label] = address
    return [(label, taken[label]) for label in ADDRESS_LABELS if label in taken]


def read_address(label: str, entry: Any, postal: str) -> Address:
    return Address(
        street=entry.street or "",
        locality=entry.city or "",
        region=entry.state or "",
        postal_code=entry.zipcode or "",
        country=entry.country or "",
        types=list(ADDRESS_LABELS.get(label, [])),
        pref=label == postal,
    )


# -- writing -----------------------------------------------------------------------


def clean(text: str) -> str:
    """Text XML can carry: control characters are dropped (EWS could not store them either)."""
    return _INVALID_XML.sub("", text or "")


def ews_values(contact: Contact) -> dict[str, Any]:
    """The exchangelib Contact attributes that hold `contact` (None clears a field)."""
    c = contact
    phones = assign_phones(c.phones)
    addresses = assign_addresses(c.addresses)
    postal = next((label for label, a in addresses if a.pref), None)
    emails = [clean(e.value) for e in c.emails if clean(e.value)][:3]
    ims = [clean(i.value) for i in c.ims if clean(i.value)][:3]
    urls = [clean(u.value) for u in c.urls if clean(u.value)]

    def text(value: str) -> str | None:
        return clean(value) or None

    return {
        "display_name": clean(c.display_name) or clean(c.best_name()) or "(no name)",
        "given_name": text(c.name.given),
        "middle_name": text(c.name.additional),
        "surname": text(c.name.family),
        "generation": text(c.name.suffix),
        PREFIX_ATTR: text(c.name.prefix),
        "nickname": text(", ".join(n.strip() for n in c.nicknames if n.strip())),
        "company_name": text(c.organization),
        "department": text("; ".join(u.strip() for u in c.org_units if u.strip())),
        "job_title": text(c.title),
        "profession": text(c.role),
        "email_addresses": [EmailAddress(label=f"EmailAddress{i + 1}", email=e) for i, e in enumerate(emails)] or None,
        "im_addresses": [ImAddress(label=f"ImAddress{i + 1}", im_address=v) for i, v in enumerate(ims)] or None,
        "phone_numbers": [PhoneNumber(label=label, phone_number=clean(p.value)) for label, p in phones] or None,
        "physical_addresses": [
            PhysicalAddress(
                label=label,
                street=text(a.street),
                city=text(a.locality),
                state=text(a.region),
                zipcode=text(a.postal_code),
                country=text(a.country),
            )
            for label, a in addresses
        ]
        or None,
        "postal_address_index": postal or "None",
        "business_homepage": urls[0] if urls else None,
        "birthday": to_outlook_date(c.birthday),
        "wedding_anniversary": to_outlook_date(c.anniversary),
        "body": Body(clean(c.note)) if c.note else None,
        "categories": [clean(x) for x in c.categories if clean(x)] or None,
        DETAILS_ATTR: details_json(c),
    }


def details_json(contact: Contact) -> str:
    data = contact.to_dict()
    kept = {f: data[f] for f in sorted(HELD_FIELDS - {"note"})}  # the note is held exactly by the body
    return clean(json.dumps({"v": DETAILS_VERSION, **kept}, ensure_ascii=False, separators=(",", ":")))


# Which exchangelib attributes an update sets (all of them: an update replaces the contact).
UPDATE_FIELDS = tuple(ews_values(Contact()).keys())


# -- reading -----------------------------------------------------------------------


def _date_of(value: Any) -> datetime.date | None:
    return value if isinstance(value, datetime.date) else None


def plain_contact(item: Any) -> Contact:
    """What Exchange itself says, without the details."""
    def get(name):
        return getattr(item, name, None) or ""
    phones = {p.label: p.phone_number for p in (item.phone_numbers or []) if p.phone_number}
    addresses = {a.label: a for a in (item.physical_addresses or [])}
    emails = {e.label: e.email for e in (item.email_addresses or []) if e.email}
    ims = {i.label: i.im_address for i in (item.im_addresses or []) if i.im_address}
    postal = item.postal_address_index or "None"
    body = item.body or ""
    if isinstance(body, HTMLBody):
        body = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"(?i)<br\s*/?>|</p>", "\n", str(body)))).strip()
    return Contact(
        display_name=get("display_name"),
        name=Name(family=get("surname"), given=get("given_name"), additional=get("middle_name"),
                  prefix=get(PREFIX_ATTR), suffix=get("generation")),
        nicknames=[n.strip() for n in get("nickname").split(",") if n.strip()],
        organization=get("company_name"),
        org_units=[u.strip() for u in get("department").split(";") if u.strip()],
        title=get("job_title"),
        role=get("profession"),
        emails=[Typed(emails[k]) for k in EmailAddress.LABEL_CHOICES if k in emails],
        phones=[read_phone(label, phones[label]) for label in PHONE_LABELS if label in phones],
        addresses=[read_address(label, addresses[label], postal) for label in ADDRESS_LABELS if label in addresses],
        urls=[Typed(get("business_homepage"), ["work"])] if get("business_homepage") else [],
        ims=[Typed(ims[k]) for k in ImAddress.LABEL_CHOICES if k in ims],
        birthday=from_outlook_date(_date_of(item.birthday)),
        anniversary=from_outlook_date(_date_of(item.wedding_anniversary)),
        note=str(body).replace("\r\n", "\n"),
        categories=list(item.categories or []),
    )


def _details(item: Any) -> Contact | None:
    raw = getattr(item, DETAILS_ATTR, None)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        if data.pop("v", None) != DETAILS_VERSION:
            return None
        return Contact.from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # damaged by another client: read what Exchange says


def _pairs(field: str, source: Contact) -> list[tuple[Any, Any]] | None:
    """(element as Exchange reads it back, element as written) for a list field, or None (a whole value)."""
    if field == "emails":
        return [(Typed(clean(e.value)), e) for e in source.emails if clean(e.value)][:3]
    if field == "ims":
        return [(Typed(clean(i.value)), i) for i in source.ims if clean(i.value)][:3]
    if field == "urls":
        return [(Typed(clean(u.value), ["work"]), u) for u in source.urls if clean(u.value)][:1]
    if field == "phones":
        return [(read_phone(label, clean(p.value)), p) for label, p in assign_phones(source.phones)]
    if field == "addresses":
        assigned = assign_addresses(source.addresses)
        postal = next((label for label, a in assigned if a.pref), "None")
        values = ews_values(Contact(addresses=source.addresses))["physical_addresses"] or []
        by_label = {v.label: v for v in values}
        return [(read_address(label, by_label[label], postal), a) for label, a in assigned]
    return None


def to_contact(item: Any, plain: Callable[[Any], Contact] = plain_contact) -> Contact:
    """The contact an Exchange item holds, exact where the user left the hub's values alone."""
    actual = plain(item)
    source = _details(item)
    if source is None:
        return actual
    written = plain(to_ews(source))  # what the hub's last write looks like, read back
    result = {"uid": source.uid}
    for field in HELD_FIELDS - {"uid"}:
        now, then, wanted = getattr(actual, field), getattr(written, field), getattr(source, field)
        if now == then:
            result[field] = wanted
            continue
        pairs = _pairs(field, source)
        if pairs is None:
            continue  # the user changed it: Exchange's value stands
        unused = list(pairs)
        restored = []
        for element in now:
            match = next((p for p in unused if p[0] == element), None)
            if match is None:
                restored.append(element)
            else:
                unused.remove(match)
                restored.append(match[1])
        placed = [id(p[1]) for p in pairs]
        restored += [e for e in wanted if id(e) not in placed and _has_value(e)]  # no room in Exchange: kept
        result[field] = restored
    return actual.copy(**result) if result else actual


def _has_value(element: Any) -> bool:
    if isinstance(element, Typed):
        return bool(clean(element.value))
    return True


def to_ews(contact: Contact, **kwargs: Any) -> EwsContact:
    """An exchangelib Contact holding `contact` (no account: also used to project a write in memory)."""
    values = {k: v for k, v in ews_values(contact).items() if v is not None}
    return EwsContact(**values, **kwargs)


assert set(HELD_FIELDS) <= {f.name for f in dataclasses.fields(Contact)}
