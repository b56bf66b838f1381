"""Exact round trips through a lossy target: the hub's last write, kept beside the copy.

Graph and SharePoint hold less than a `Contact` inside some fields (no email
types, one URL, fixed phone slots …). Read back plainly, a copy would differ
from what the hub wrote and the engine would take that loss for the user's
edit. So every write also stores the written fields as JSON (`details_json`)
in a hidden property. Reading, a field whose target value is exactly what the
details would produce is taken from the details; a field the user changed is
read from the target as it is.

The JSON is ``{"v": 1, field: Contact.to_dict() value, …}``, the format the EWS
connector's `contacthub-details` property uses too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from contacthub.model import Contact

DETAILS_VERSION = 1


def details_json(contact: Contact, fields: Iterable[str]) -> str:
    data = contact.to_dict()
    kept = {f: data[f] for f in sorted(fields) if f in data}
    return json.dumps({"v": DETAILS_VERSION, **kept}, ensure_ascii=False, separators=(",", ":"))


def parse_details(raw: Any) -> Contact | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.pop("v", None) != DETAILS_VERSION:
            return None
        return Contact.from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # damaged by another client: the target's own values stand


def restore(actual: Contact, source: Contact | None, project: Callable[[Contact], Contact], fields: Iterable[str]) -> Contact:
    """`actual` with each field the user left alone taken from `source` (the hub's last write).

    `project(source)` is how that write reads back from the target; a field
    equal there and in `actual` was not touched since.
    """
    if source is None:
        return actual
    written = project(source)
    kept = {f: getattr(source, f) for f in fields if getattr(actual, f) == getattr(written, f)}
    return actual.copy(**kept) if kept else actual
