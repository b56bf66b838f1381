"""The extended properties the hub keeps on an Exchange contact, and their registration.

The marker is a named string property in contacthub's own property set,
shared with the Graph connector (see `contacthub.connectors.outlook_marker`).

`contacthub-details` (same set) holds what Exchange has no place for inside a
field it does hold (email types, the original phone types, extra emails …), so
a copy reads back exactly as it was written while the user leaves it alone
(see mapping.py). The name prefix ("Dr.") has no EWS field; it goes to the
MAPI property Outlook shows as "Title" (PidTagDisplayNamePrefix, 0x3A45).

exchangelib registers extended properties on its Contact class for the whole
process. `register()` is idempotent and `deregister()` undoes it, so tests
can leave exchangelib as they found it.
"""

from __future__ import annotations

import threading

from exchangelib import Contact as EwsContact
from exchangelib import ExtendedProperty

from contacthub.connectors.outlook_marker import DETAILS_NAME, MARKER_GUID, MARKER_NAME


class MarkerProperty(ExtendedProperty):
    """String {MARKER_GUID} Name contacthub-id: "{database_id}:{record_id}"."""

    property_set_id = MARKER_GUID
    property_name = MARKER_NAME
    property_type = "String"


class DetailsProperty(ExtendedProperty):
    """String {MARKER_GUID} Name contacthub-details: JSON, what the fields cannot say (mapping.py)."""

    property_set_id = MARKER_GUID
    property_name = DETAILS_NAME
    property_type = "String"


class PrefixProperty(ExtendedProperty):
    """PidTagDisplayNamePrefix (0x3A45): the name prefix, Outlook's "Title" ("Dr.")."""

    property_tag = 0x3A45
    property_type = "String"


MARKER_ATTR = "contacthub_marker"
DETAILS_ATTR = "contacthub_details"
PREFIX_ATTR = "contacthub_name_prefix"
PROPERTIES = {MARKER_ATTR: MarkerProperty, DETAILS_ATTR: DetailsProperty, PREFIX_ATTR: PrefixProperty}

_lock = threading.Lock()


def _registered(attr: str):
    from exchangelib.fields import InvalidField

    try:
        return EwsContact.get_field_by_fieldname(attr)
    except InvalidField:
        return None


def register() -> None:
    """Make the hub's properties known to exchangelib's Contact (once; later calls do nothing)."""
    with _lock:
        for attr, cls in PROPERTIES.items():
            field = _registered(attr)
            if field is None:
                EwsContact.register(attr, cls)
            elif getattr(field, "value_cls", None) is not cls:
                raise RuntimeError(f"ews: exchangelib Contact.{attr} is registered by someone else")


def deregister() -> None:
    """Undo `register()` (for tests)."""
    with _lock:
        for attr in PROPERTIES:
            if _registered(attr) is not None:
                EwsContact.deregister(attr)
