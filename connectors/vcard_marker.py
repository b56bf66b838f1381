"""The marker in vCard text, shared by the `vcf` and `carddav` connectors.

Two properties on every synced copy:

    X-CONTACTHUB-DATABASE:{database_id}
    X-CONTACTHUB-RECORD:{record_id}

Both connectors write the very same properties, so a card moved between a
phone's folder and a CardDAV server stays recognised. Never rename them: every
synced copy carries them. They are found by a plain text scan, so a copy that
another app wrote slightly wrong (a card that does not parse) is still ours.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from contacthub.connector import Marker
from contacthub.model import Contact, ExtraProperty

DATABASE_PROP = "X-CONTACTHUB-DATABASE"
RECORD_PROP = "X-CONTACTHUB-RECORD"
MARKER_PROPS = (DATABASE_PROP, RECORD_PROP)

_FOLD = re.compile(r"\r\n[ \t]|\n[ \t]|\r[ \t]")
_ESCAPED = re.compile(r"\\(.)")
# RFC 6350 6.7.4 / RFC 2426 3.6.4: a date-and-or-time, basic or extended format.
_REV = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T(\d{2}):?(\d{2}):?(\d{2})?(?:\.\d+)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?")


def scan_marker(data: bytes | str) -> Marker | None:
    """The marker, found by a plain text scan: a card another app wrote slightly wrong stays ours."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    found: dict[str, str] = {}
    for line in _FOLD.sub("", text).splitlines():
        head, sep, value = line.partition(":")
        prop = head.split(";", 1)[0].rsplit(".", 1)[-1].strip().upper()  # drop params and group
        if sep and prop in MARKER_PROPS and prop not in found:
            found[prop] = _unescape(value.strip())
    if found.get(DATABASE_PROP) and found.get(RECORD_PROP):
        return Marker(found[DATABASE_PROP], found[RECORD_PROP])
    return None


def scan_revision(data: bytes | str) -> datetime | None:
    """The card's REV as an aware time (None when absent or unreadable): the storing app's clock.

    Read from the text because REV is not contact data (core/vcard.py keeps it out of
    `extra`); it only orders edits for the newest-wins policy.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    for line in _FOLD.sub("", text).splitlines():
        head, sep, value = line.partition(":")
        if sep and head.split(";", 1)[0].rsplit(".", 1)[-1].strip().upper() == "REV":
            return _timestamp(value.strip())
    return None


def _timestamp(value: str) -> datetime | None:
    found = _REV.fullmatch(value)
    if found is None:
        return None
    year, month, day, hour, minute, second, zone = found.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        minutes = zone[3:].lstrip(":")
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(minutes or 0))
    return moment


def strip_marker(contact: Contact) -> Contact:
    """The contact without marker properties (they belong to the copy, not to the record)."""
    contact.extra = [e for e in contact.extra if e.name.upper() not in MARKER_PROPS]
    return contact


def vcard_text(contact: Contact, marker: Marker | None) -> str:
    """The card to write: the contact (any marker in it dropped) plus `marker`."""
    extra = [e for e in contact.extra if e.name.upper() not in MARKER_PROPS]
    if marker is not None:
        extra += [ExtraProperty(DATABASE_PROP, _escape(marker.database_id)), ExtraProperty(RECORD_PROP, _escape(marker.record_id))]
    from contacthub.vcard import to_vcard  # only when a card is written: a no-change pass needs no vCard code

    return to_vcard(dataclasses.replace(contact, extra=extra))  # to_vcard reads it only: no deep copy


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def _unescape(value: str) -> str:
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
