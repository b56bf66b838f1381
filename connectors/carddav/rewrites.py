"""A server's re-encoding of a card is not a change (SPEC S14).

Many servers store a card differently from what was PUT (DAViCal, SabreDAV-based
ones such as Nextcloud and Baïkal): `CATEGORIES:VIP\\, Gold` becomes
`CATEGORIES:VIP, Gold` (two categories), `NICKNAME:Bob,Bobby` becomes
`NICKNAME:Bob\\,Bobby` (one nickname), lines are refolded, REV is added. Read
back, such a card would look like a phone's edit of those fields.

So after writing, the connector reads the stored card (RFC 6352 section 6.3.2: a
server that changes the card sends no ETag) and notes, per field, the value it
sent where the server's value differs only by such re-encoding. Whenever the card
is read later, a field that still holds the re-encoded value (compared the way
servers re-encode: escapes dropped, commas as separators, spaces trimmed) reads
as the value sent; a field the phone really changed reads as the phone wrote it.
"""

from __future__ import annotations

from typing import Any

from contacthub.model import Contact

NEVER = frozenset({"uid", "extra"})  # identity, and the unknown properties kept verbatim


def reencoded_fields(sent: Contact, stored: Contact) -> dict[str, Any]:
    """field -> the value sent (`to_dict()` form), for the fields the server only re-encoded."""
    mine, theirs = sent.to_dict(), stored.to_dict()
    return {
        name: value
        for name, value in mine.items()
        if name not in NEVER and theirs.get(name) != value and _reencoded(theirs.get(name)) == _reencoded(value)
    }


def undo_reencoding(contact: Contact, sent: dict[str, Any]) -> Contact:
    """The contact with each field in `sent` back as sent, where it still holds the same value re-encoded."""
    if not sent:
        return contact
    data = contact.to_dict()
    undone = {name: value for name, value in sent.items() if name in data and _reencoded(data[name]) == _reencoded(value)}
    return Contact.from_dict({**data, **undone}) if undone else contact


def _reencoded(value: Any) -> Any:
    """A value as a server may re-encode it: backslashes dropped, commas as separators, spaces trimmed."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.replace("\\", "").split(",") if part.strip())
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):  # CATEGORIES, NICKNAME: the commas move between elements
            return tuple(part for v in value for part in _reencoded(v))
        return tuple(_reencoded(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _reencoded(v)) for k, v in value.items()))
    return value
