"""What changed between two versions of a contact, field by field, as text: `field: old → new`.

Used by `contact edit --dry-run`, `contact history` and `contact revert`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from contacthub.model import Address, Contact, Name, Photo, Typed

NOTHING = "(none)"


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}: {self.old} → {self.new}"


def contact_diff(old: Contact | None, new: Contact | None) -> list[FieldChange]:
    """Every field whose value differs, in the model's field order (uid never changes, so it is left out)."""
    old, new = old or Contact(), new or Contact()
    changes = []
    for spec in dataclasses.fields(Contact):
        if spec.name == "uid":
            continue
        before, after = getattr(old, spec.name), getattr(new, spec.name)
        if before != after:
            changes.append(FieldChange(spec.name, value_text(before), value_text(after)))
    return changes


def value_text(value: Any) -> str:
    """A field's value on one line, as a person reads it."""
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value) or NOTHING
    if isinstance(value, Typed):
        kinds = ",".join(value.types + ([value.label] if value.label else []))
        return f"{value.value} ({kinds})" if kinds else value.value
    if isinstance(value, Address):
        parts = (value.po_box, value.extended, value.street, value.postal_code, value.locality, value.region, value.country)
        text = "; ".join(p for p in parts if p)
        return f"{text} ({','.join(value.types)})" if value.types else text
    if isinstance(value, Name):
        return " ".join(p for p in (value.prefix, value.given, value.additional, value.family, value.suffix) if p) or NOTHING
    if isinstance(value, Photo):
        return f"photo {value.media_type or value.uri} ({len(value.data)} bytes)"
    if value is None:
        return NOTHING
    if hasattr(value, "name") and hasattr(value, "value"):  # an ExtraProperty
        return f"{value.name}:{value.value}"
    return str(value) or NOTHING
