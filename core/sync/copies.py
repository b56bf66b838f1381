"""How a record looks as a synced copy, and how a copy reads back into a record.

The copy carries the record's contact plus the target's category label (T3).
Reading back, that label is taken off again, unless the record had it itself.
Only the fields the target can hold count when comparing copies (S2, S11).
"""

from __future__ import annotations

import dataclasses

from contacthub.model import Contact, content_hash_of

_DEFAULTS = {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory() for f in dataclasses.fields(Contact)}  # type: ignore[misc]


def _has(categories: list[str], label: str) -> bool:
    return any(c.casefold() == label.casefold() for c in categories)


def to_copy(contact: Contact, label: str) -> Contact:
    """The content of the record's synced copy: the contact, plus the category label."""
    if not label or _has(contact.categories, label):
        return contact
    return contact.copy(categories=[*contact.categories, label])


def from_copy(contact: Contact, label: str, base: Contact | None) -> Contact:
    """A copy's content as record content: the category label removed unless the record had it."""
    if not label or (base is not None and _has(base.categories, label)):
        return contact
    return contact.copy(categories=[c for c in contact.categories if c.casefold() != label.casefold()])


def without_labels(contact: Contact, labels: list[str], base: Contact | None) -> Contact:
    """`from_copy` for every label the hub has written to the target, not only the current one (T3).

    A copy that lost its link (a killed pass, a stop that could not remove it)
    may carry a label the settings no longer name.
    """
    for label in labels:
        contact = from_copy(contact, label, base)
    return contact


def from_linked_copy(contact: Contact, label: str, base: Contact, remote_hash: str, fields: frozenset[str]) -> Contact:
    """`from_copy` for a linked copy: also takes off a label the hub wrote there before the label changed.

    The link knows the hash of the copy as the hub last wrote it, `to_copy(base, label then)`:
    a category of the copy, not in the base, that reproduces that hash was that label (T3).
    """
    contact = from_copy(contact, label, base)
    for category in contact.categories:
        if not _has(base.categories, category) and copy_hash(to_copy(base, category), fields) == remote_hash:
            return from_copy(contact, category, base)
    return contact


def held(contact: Contact, fields: frozenset[str]) -> Contact:
    """The contact reduced to what the target can hold; other fields at their empty value."""
    blanked = {name: _DEFAULTS[name] for name in _DEFAULTS if name not in fields}
    return contact.copy(**blanked) if blanked else contact


def copy_hash(contact: Contact, fields: frozenset[str], data: dict | None = None) -> str:
    """Identifies a copy's content: equal hashes mean nothing the target holds changed.

    An etag alone is not enough: servers and apps re-format cards without
    changing them, so a changed etag with an equal hash is no change.
    `data`, when given, is `contact.to_dict()` already made (used when the target holds every field).
    """
    if data is not None and fields.issuperset(_DEFAULTS):
        return content_hash_of(data)
    return held(contact, fields).content_hash()
