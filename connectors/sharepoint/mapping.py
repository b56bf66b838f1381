"""Contact <-> the fields of a SharePoint Contacts list item, and the hub's hidden columns.

| Contact field | Contacts list column (internal name)                                  |
|---------------|------------------------------------------------------------------------|
| name          | Title (last name; the best name when there is none), FirstName         |
| display_name  | FullName                                                                |
| emails        | Email (the first)                                                       |
| organization  | Company                                                                 |
| title         | JobTitle                                                                |
| phones        | WorkPhone, HomePhone, CellPhone, WorkFax (the first of each kind)      |
| addresses     | WorkAddress, WorkCity, WorkState, WorkZip, WorkCountry (the first,     |
|               | a work one preferred)                                                   |
| urls          | WebPage (the first)                                                     |
| note          | Comments                                                                |
| uid           | only in the details column                                              |
| nicknames, org_units, role, ims, birthday, anniversary, categories, photo, extra:    |
|               | not held: they stay in the database (S11)                               |

Columns the list lacks are neither written nor read. The marker lives in the
hidden text column `ContacthubId` ("{database_id}:{record_id}"), the hub's
last write in the hidden note column `ContacthubDetails` (details.py).
"""

from __future__ import annotations

import html
import re
from typing import Any

from contacthub.connector import Marker
from contacthub.connectors.graph.details import details_json, parse_details, restore
from contacthub.connectors.outlook_marker import marker_text, parse_marker
from contacthub.model import Address, Contact, Name, Typed

MARKER_COLUMN = "ContacthubId"
DETAILS_COLUMN = "ContacthubDetails"
CONTACT_COLUMNS = (
    "Title", "FirstName", "FullName", "Email", "Company", "JobTitle", "WorkPhone", "HomePhone", "CellPhone",
    "WorkFax", "WorkAddress", "WorkCity", "WorkState", "WorkZip", "WorkCountry", "WebPage", "Comments",
)  # fmt: skip
HELD_FIELDS = frozenset({"uid", "display_name", "name", "organization", "title", "emails", "phones", "addresses", "urls", "note"})

PHONE_COLUMNS = (("WorkPhone", ["work", "voice"]), ("HomePhone", ["home", "voice"]), ("CellPhone", ["cell"]), ("WorkFax", ["work", "fax"]))


def _phone_column(types: set[str]) -> str:
    if "fax" in types:
        return "WorkFax"
    if "cell" in types:
        return "CellPhone"
    if "home" in types:
        return "HomePhone"
    return "WorkPhone"


def to_fields(contact: Contact, columns: frozenset[str] | set[str] = frozenset(CONTACT_COLUMNS)) -> dict[str, Any]:
    """The item's field values for a create or a full PATCH; columns the list lacks are left out."""
    phones: dict[str, str] = {}
    for phone in contact.phones:
        column = _phone_column({t.lower() for t in phone.types})
        if phone.value and column not in phones and not ({"pager"} & {t.lower() for t in phone.types}):
            phones[column] = phone.value
    works = [a for a in contact.addresses if "work" in {t.lower() for t in a.types}]
    address = (works or contact.addresses or [Address()])[0]
    values = {
        "Title": contact.name.family or contact.best_name(),
        "FirstName": contact.name.given,
        "FullName": contact.display_name,
        "Email": contact.emails[0].value if contact.emails else "",
        "Company": contact.organization,
        "JobTitle": contact.title,
        **{column: phones.get(column, "") for column, _ in PHONE_COLUMNS},
        "WorkAddress": address.street,
        "WorkCity": address.locality,
        "WorkState": address.region,
        "WorkZip": address.postal_code,
        "WorkCountry": address.country,
        "WebPage": contact.urls[0].value if contact.urls else "",
        "Comments": contact.note,
    }
    return {k: v for k, v in values.items() if k in columns}


def to_fields_with_marker(contact: Contact, marker: Marker | None, columns: frozenset[str] | set[str]) -> dict[str, Any]:
    return {
        **to_fields(contact, columns),
        MARKER_COLUMN: marker_text(marker),
        DETAILS_COLUMN: details_json(contact, HELD_FIELDS),
    }


def _s(fields: dict[str, Any], key: str) -> str:
    value = fields.get(key)
    if isinstance(value, dict):  # a hyperlink column: {"Url": …, "Description": …}
        value = value.get("Url")
    return value if isinstance(value, str) else ""


def _plain_text(value: str) -> str:
    """Comments is rich text in the Contacts template: its HTML read back as text."""
    if not value.lstrip().startswith("<"):
        return value
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", value)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip("\n")


def plain_contact(fields: dict[str, Any]) -> Contact:
    """What the list itself says, without the details."""
    address = Address(street=_s(fields, "WorkAddress"), locality=_s(fields, "WorkCity"), region=_s(fields, "WorkState"),
                      postal_code=_s(fields, "WorkZip"), country=_s(fields, "WorkCountry"), types=["work"])  # fmt: skip
    has_address = any((address.street, address.locality, address.region, address.postal_code, address.country))
    return Contact(
        display_name=_s(fields, "FullName"),
        name=Name(family=_s(fields, "Title"), given=_s(fields, "FirstName")),
        organization=_s(fields, "Company"),
        title=_s(fields, "JobTitle"),
        emails=[Typed(_s(fields, "Email"))] if _s(fields, "Email") else [],
        phones=[Typed(_s(fields, c), list(types)) for c, types in PHONE_COLUMNS if _s(fields, c)],
        addresses=[address] if has_address else [],
        urls=[Typed(_s(fields, "WebPage"), ["work"])] if _s(fields, "WebPage") else [],
        note=_plain_text(_s(fields, "Comments")).replace("\r\n", "\n"),
    )


def marker_of(fields: dict[str, Any] | None) -> Marker | None:
    return parse_marker((fields or {}).get(MARKER_COLUMN))


def to_contact(fields: dict[str, Any], columns: frozenset[str] | set[str] = frozenset(CONTACT_COLUMNS)) -> Contact:
    """The contact an item holds, exact where the user left the hub's values alone."""
    source = parse_details(fields.get(DETAILS_COLUMN))
    return restore(plain_contact(fields), source, lambda c: plain_contact(to_fields(c, columns)), HELD_FIELDS)
