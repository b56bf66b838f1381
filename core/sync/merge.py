"""Three-way field merge of a record and its synced copy (S10, S11).

The engine calls `merge` when both the record in the business database
(`local`) and its synced copy in the target (`remote`) changed since the last
sync; `base` is the content both sides agreed on then.

Every `Contact` attribute is merged on its own, compared in `to_dict()` form:

* unchanged on both sides -> base; changed on one side only -> that side's
  value; changed on both to the same value -> that value;
* changed on both to different values -> a `FieldConflict`, settled by the
  policy: ``database-wins`` (default), ``target-wins``, or ``newest-wins``
  (the later of `local_changed_at` / `remote_changed_at`; the database on a
  tie or a missing time).

`uid` is never merged (local stands). A field outside `fields` (what the
target can hold) is never taken from remote: the target cannot hold it, so
its absence there means nothing, and the local value stands (S11).

`name` and `photo` are single values. List fields merge element by element,
so additions and removals made on either side all survive:

1. Key each element by its identity (`identity`: casefolded email,
   digits of a phone, the parts of an address, (group, name, value) of an
   extra property, the text of a plain string); repeated identities in one
   list get an occurrence number so every key is unique.
2. If only one side changed the list, take that side's list whole (so order
   and duplicates are exactly that side's).
3. Otherwise walk local's elements in order, then remote's elements that
   local lacks, in their order. An element kept by both sides is merged
   three-way like a field (an edit = same identity, other types/label/pref/
   params); an element added on one side is kept; an element that one side
   removed and the other left as in base is dropped.
4. Both sides editing the same element differently, adding the same
   identity with different content, or one side editing what the other
   removed, is a conflict on that field; the policy picks that element's
   version (or its absence). One `FieldConflict` per field carries the
   whole lists.

Pure functions: no I/O, no database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import fields as dc_fields
from datetime import UTC, datetime
from typing import Any

from contacthub.model import Contact

POLICIES = ("database-wins", "target-wins", "newest-wins")

DATABASE = "database"
TARGET = "target"

# Every Contact attribute, in declaration order, and the ones merged element-wise.
CONTACT_FIELDS: tuple[str, ...] = tuple(f.name for f in dc_fields(Contact))
LIST_FIELDS = frozenset(
    {"emails", "phones", "urls", "ims", "addresses", "nicknames", "org_units", "categories", "extra"}
)

_ADDRESS_PARTS = ("street", "locality", "region", "postal_code", "country", "po_box", "extended")

# Sentinel for "this element is not in that version of the list".
_ABSENT: Any = object()


@dataclass
class FieldConflict:
    """A field changed on both sides to different values; values in `to_dict()` form."""

    field: str
    local: Any
    remote: Any
    base: Any
    winner: str  # "database" | "target"


@dataclass
class MergeResult:
    merged: Contact  # the new agreed content, for both sides
    conflicts: list[FieldConflict] = field(default_factory=list)
    local_changed: bool = False  # merged differs from local: update the record
    remote_changed: bool = False  # merged differs from remote on the target's fields: update the copy


# -- element identity --------------------------------------------------------


def _text(value: Any) -> str:
    return str(value or "").strip().casefold()


def _phone_identity(element: dict[str, Any]) -> Any:
    digits = "".join(ch for ch in str(element.get("value", "")) if ch.isdigit())
    # A "phone" with no digits at all (a placeholder, a vanity word) still needs an identity.
    return digits or _text(element.get("value"))


_IDENTITIES: dict[str, Callable[[Any], Any]] = {
    "emails": lambda e: _text(e.get("value")),
    "phones": _phone_identity,
    # URLs and IM URIs can be case-sensitive past the host: only trim.
    "urls": lambda e: str(e.get("value", "")).strip(),
    "ims": lambda e: str(e.get("value", "")).strip(),
    "addresses": lambda e: tuple(_text(e.get(part)) for part in _ADDRESS_PARTS),
    # vCard property and group names are case-insensitive; the raw value is not.
    "extra": lambda e: (_text(e.get("group")), _text(e.get("name")), e.get("value", "")),
    "nicknames": lambda s: s,
    "org_units": lambda s: s,
    "categories": lambda s: s,
}


def identity(field_name: str, element: Any) -> Any:
    """The identity of one element of list field `field_name`, given in `to_dict()` form.

    Two elements with the same identity are the same element, possibly edited.
    """
    return _IDENTITIES[field_name](element)


def _keyed(field_name: str, items: list[Any]) -> dict[Any, Any]:
    """Elements by (identity, occurrence), in list order; occurrence keeps repeats apart."""
    seen: dict[Any, int] = {}
    keyed: dict[Any, Any] = {}
    for item in items:
        ident = identity(field_name, item)
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        keyed[(ident, n)] = item
    return keyed


# -- merging -----------------------------------------------------------------


def _three_way(base: Any, local: Any, remote: Any, winner: str) -> tuple[Any, bool]:
    """The merged value, and whether it was a conflict (settled for `winner`)."""
    if local == remote:
        return local, False
    if local == base:
        return remote, False
    if remote == base:
        return local, False
    return (local if winner == DATABASE else remote), True


def _merge_list(name: str, base: list[Any], local: list[Any], remote: list[Any], winner: str) -> tuple[list[Any], bool]:
    # One side untouched: the other side's list as it is, order and repeats included.
    if local == remote or remote == base:
        return local, False
    if local == base:
        return remote, False
    b, lo, re = _keyed(name, base), _keyed(name, local), _keyed(name, remote)
    merged: list[Any] = []
    conflict = False
    for key in [*lo, *(k for k in re if k not in lo)]:
        value, clash = _three_way(b.get(key, _ABSENT), lo.get(key, _ABSENT), re.get(key, _ABSENT), winner)
        conflict = conflict or clash
        if value is not _ABSENT:
            merged.append(value)
    return merged, conflict


def _winner(policy: str, local_changed_at: datetime | None, remote_changed_at: datetime | None) -> str:
    if policy == "database-wins":
        return DATABASE
    if policy == "target-wins":
        return TARGET
    if local_changed_at is None or remote_changed_at is None:
        return DATABASE
    return TARGET if _aware(remote_changed_at) > _aware(local_changed_at) else DATABASE


def _aware(moment: datetime) -> datetime:
    # The store keeps aware UTC times; a naive time from a connector is taken as UTC
    # rather than failing the comparison.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def merge(
    base: Contact,
    local: Contact,
    remote: Contact,
    *,
    fields: frozenset[str],
    policy: str = "database-wins",
    local_changed_at: datetime | None = None,
    remote_changed_at: datetime | None = None,
) -> MergeResult:
    """Merge `local` (the record) and `remote` (its synced copy) against `base` (the last sync).

    `fields` are the Contact attributes the target can hold (`Capabilities.fields`).
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown merge policy {policy!r}; expected one of {', '.join(POLICIES)}")
    winner = _winner(policy, local_changed_at, remote_changed_at)
    b, lo, re = base.to_dict(), local.to_dict(), remote.to_dict()
    merged: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name in CONTACT_FIELDS:
        if name == "uid" or name not in fields:
            # uid is identity, not content; a field the target cannot hold is absent there
            # for that reason alone (S11).
            merged[name] = lo[name]
            continue
        if name in LIST_FIELDS:
            value, clash = _merge_list(name, b[name], lo[name], re[name], winner)
        else:
            value, clash = _three_way(b[name], lo[name], re[name], winner)
        merged[name] = value
        if clash:
            conflicts.append(FieldConflict(name, lo[name], re[name], b[name], winner))
    result = Contact.from_dict(merged)
    out = result.to_dict()
    # uid is left out: the marker links the copy, and some targets cannot change a UID.
    held = [n for n in CONTACT_FIELDS if n in fields and n != "uid"]
    return MergeResult(
        merged=result,
        conflicts=conflicts,
        local_changed=out != lo,
        remote_changed=any(out[n] != re[n] for n in held),
    )
