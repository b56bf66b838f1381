"""The marker on Exchange / Outlook contacts, shared by the `ews` and `graph` connectors.

A named string property in contacthub's own MAPI property set:

    String {7A35CB42-20DB-4CAA-A827-8C39B1616367} Name contacthub-id = "{database_id}:{record_id}"

Both connectors write the very same property, so a copy made over EWS is
recognised over Graph and back. Never change the GUID: every synced copy in
every mailbox carries it. `contacthub-details` (same set) holds what a
mailbox field cannot say (email types, phone labels …).
"""

from __future__ import annotations

from typing import Any

from contacthub.connector import Marker

MARKER_GUID = "7a35cb42-20db-4caa-a827-8c39b1616367"
MARKER_NAME = "contacthub-id"
DETAILS_NAME = "contacthub-details"


def marker_text(marker: Marker | None) -> str:
    """The property value for a marker ("" for none)."""
    return f"{marker.database_id}:{marker.record_id}" if marker else ""


def parse_marker(value: Any) -> Marker | None:
    """ "{database_id}:{record_id}" (ids are uuids, so the first colon splits them), or None."""
    if not isinstance(value, str):
        return None
    database_id, sep, record_id = value.partition(":")
    return Marker(database_id, record_id) if sep and database_id and record_id else None
