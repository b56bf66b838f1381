"""Merging two contacts field by field, and two records into one (I3, D4).

Used by `contact merge` (record B into record A: A's values win where both
have one, B's fill the gaps) and by import (a card updating its record: the
card's values win, and what the card does not say is not erased). Lists
(e-mails, phones, addresses, categories ...) are united, never cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from sqlalchemy import delete, select

from contacthub.duplicates import email_key, phone_key
from contacthub.errors import ContactHubError
from contacthub.model import Address, Contact, ExtraProperty, Name, Record, Typed
from contacthub.store import history
from contacthub.store.identity import IdentityStore
from contacthub.store.schema import HistoryRow, RecordRow, utcnow

_SCALARS = ("organization", "title", "role", "birthday", "anniversary")
# Unmodelled properties a card holds once: a second one from the other side is not added (a record
# with two REVs or two genders would be a broken card). REV is when the exporting app last saved it.
SINGLE_EXTRAS = frozenset(("REV", "PRODID", "KIND", "GENDER", "X-WAB-GENDER", "SORT-STRING", "TZ", "GEO", "CLASS", "X-MS-OL-DEFAULT-POSTAL-ADDRESS"))


@dataclass
class ContactMerge:
    contact: Contact
    # "title: kept 'Head of purchasing' (the other had 'Buyer')": values that did not make it in.
    dropped: list[str] = field(default_factory=list)


def merge_contacts(keep: Contact, other: Contact, other_wins: bool = False, join_notes: bool = True) -> ContactMerge:
    """`keep` with `other` merged in. Scalars: the winner's value where both have one; lists: united."""
    result = keep.copy()
    dropped: list[str] = []

    def pick(label: str, mine: str, theirs: str) -> str:
        if not theirs or mine == theirs:
            return mine
        if not mine:
            return theirs
        winner, loser = (theirs, mine) if other_wins else (mine, theirs)
        dropped.append(f"{label}: kept {winner!r} (the other had {loser!r})")
        return winner

    result.name = Name(**{f.name: pick(f"name {f.name}", getattr(keep.name, f.name), getattr(other.name, f.name)) for f in fields(Name)})
    # A display name that only spells what the name parts already give (a CSV's "Name") is no change.
    theirs = "" if other.display_name == keep.best_name() else other.display_name
    result.display_name = pick("display name", keep.display_name, theirs)
    for attr in _SCALARS:
        setattr(result, attr, pick(attr, getattr(keep, attr), getattr(other, attr)))
    if join_notes and keep.note and other.note and other.note not in keep.note:
        result.note = keep.note + ("" if keep.note.endswith("\n") else "\n") + other.note
    else:
        result.note = pick("note", keep.note, other.note)
    if other.photo is not None and (keep.photo is None or other_wins):
        if keep.photo is not None and keep.photo != other.photo:
            dropped.append("photo: the other photo was replaced")
        result.photo = other.copy().photo
    elif other.photo is not None and keep.photo != other.photo:
        dropped.append("photo: kept this record's photo (the other had another one)")
    result.emails = _united_typed(result.emails, other.emails, email_key)
    result.phones = _united_typed(result.phones, other.phones, lambda v: phone_key(v) or v.strip())
    result.urls = _united_typed(result.urls, other.urls, lambda v: v.strip().casefold())
    result.ims = _united_typed(result.ims, other.ims, lambda v: v.strip().casefold())
    result.addresses = _united_addresses(result.addresses, other.addresses)
    for attr in ("nicknames", "org_units", "categories"):
        setattr(result, attr, _united_words(getattr(result, attr), getattr(other, attr)))
    result.extra = _united_extra(result.extra, other.extra)
    return ContactMerge(result, dropped)


def _united_typed(mine: list[Typed], theirs: list[Typed], key) -> list[Typed]:
    out = [Typed(t.value, list(t.types), t.label, t.pref) for t in mine]
    by_key = {key(t.value): t for t in out}
    for t in theirs:
        found = by_key.get(key(t.value))
        if found is None:
            copy = Typed(t.value, list(t.types), t.label, False if any(o.pref for o in out) else t.pref)
            out.append(copy)
            by_key[key(t.value)] = copy
        else:
            found.types += [x for x in t.types if x not in found.types]
            found.label = found.label or t.label
    return out


def _address_key(a: Address) -> tuple[str, ...]:
    return tuple(" ".join(getattr(a, f).casefold().split()) for f in ("po_box", "extended", "street", "locality", "region", "postal_code", "country"))


def _united_addresses(mine: list[Address], theirs: list[Address]) -> list[Address]:
    out = [Address(**{f.name: getattr(a, f.name) for f in fields(Address)}) for a in mine]
    for a in out:
        a.types = list(a.types)
    by_key = {_address_key(a): a for a in out}
    for a in theirs:
        found = by_key.get(_address_key(a))
        if found is None:
            copy = Address(**{f.name: getattr(a, f.name) for f in fields(Address)})
            copy.types, copy.pref = list(a.types), a.pref and not any(o.pref for o in out)
            out.append(copy)
            by_key[_address_key(a)] = copy
        else:
            found.types += [x for x in a.types if x not in found.types]
            found.label = found.label or a.label
    return out


def _united_words(mine: list[str], theirs: list[str]) -> list[str]:
    out = list(mine)
    seen = {w.strip().casefold() for w in out}
    for w in theirs:
        if w.strip() and w.strip().casefold() not in seen:
            out.append(w)
            seen.add(w.strip().casefold())
    return out


def _united_extra(mine: list[ExtraProperty], theirs: list[ExtraProperty]) -> list[ExtraProperty]:
    out = [ExtraProperty(e.name, e.value, list(e.params), e.group) for e in mine]
    seen = {(e.name.upper(), e.value, tuple(map(tuple, e.params))) for e in out}
    groups = {e.group.lower() for e in out if e.group}
    single = {e.name.upper() for e in out} & SINGLE_EXTRAS
    for e in theirs:
        key = (e.name.upper(), e.value, tuple(map(tuple, e.params)))
        if key in seen or e.name.upper() in single:
            continue
        seen.add(key)
        # A group already used here belongs to this contact's values: the other's property leaves it.
        out.append(ExtraProperty(e.name, e.value, list(e.params), "" if e.group.lower() in groups else e.group))
    return out


# -- records ----------------------------------------------------------------------


@dataclass
class RecordMerge:
    record: Record  # A after the merge
    merged: Record  # B as it was
    dropped: list[str]
    changed: bool


def merge_records(tx, keep_id: str, other_id: str, source: str = "user") -> RecordMerge:
    """Merge record `other_id` into `keep_id` (I3).

    A keeps its id and type and gets every e-mail, phone, address, category ...
    of B; where both have a single value (title, birthday ...) A's stays and
    B's is named in `dropped` (it is also in A's history, in B's last version).
    B's history moves to A, B's last version is added to it ("merge"), B's id
    redirects to A, and B's row goes: its synced copy is then removed by the
    next sync pass, as the copy of a record that no longer exists (not as a
    deletion in Deleted Items).
    """
    tx.lock()  # no other writer between reading both records and writing the merge
    keep, other = tx.records.get(keep_id), tx.records.get(other_id)
    if keep.id == other.id:
        raise ContactHubError(f"{keep_id} and {other_id} are the same record ({keep.id[:8]})")
    for r in (keep, other):
        if r.is_deleted:
            raise ContactHubError(f"record {r.id[:8]} ({r.contact.best_name()}) is in Deleted Items: restore it first")
    result = merge_contacts(keep.contact, other.contact)
    note = f"merged record {other.id} ({other.contact.best_name()}) into this one"
    updated = tx.records.update(keep.id, result.contact, source=source, note=note)
    session = tx.session
    for row in session.scalars(select(HistoryRow).where(HistoryRow.record_id == other.id)):
        row.record_id = keep.id
        row.note = f"[record {other.id[:8]}] {row.note}".strip()
    history.add_entry(
        session,
        record_id=keep.id,
        version=updated.version,
        changed_at=utcnow(),
        action="merge",
        source=source,
        data=other.contact.to_dict(),
        type_name=other.type.name,
        note=f"record {other.id} merged in; this is its last version",
    )
    session.flush()
    IdentityStore(session).redirect(other.id, keep.id)
    row = session.get(RecordRow, other.id)
    if row is not None:
        session.expunge(row)
    session.execute(delete(RecordRow).where(RecordRow.id == other.id))
    session.flush()
    return RecordMerge(tx.records.get(keep.id), other, result.dropped, changed=updated.version != keep.version)
