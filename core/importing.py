"""Import: match every card to what the database holds, so nothing is doubled or lost (I1).

For each card read (vCard or CSV), in this order:

1. Its fingerprint (a hash of its content, UID left out: import reads a card
   without UID with none, and gives it a new one only when it is added) is known: an import already brought this very
   card in, or a record holds exactly this content -> "unchanged". Fingerprints
   are remembered per record (record_fingerprints), so the same card is still
   "unchanged" after the record was edited since.
2. Its UID is a record's: the same person (same name, or a shared e-mail or
   phone) -> that record is updated field by field (what the card does not say
   is not erased); a different person -> a UID clash: reported, and the card
   becomes a record of its own with a new UID.
3. Otherwise the most likely twin among the records (contacthub.duplicates):
   the same person (same name and a shared e-mail or phone) is updated, as in 2;
   a less certain twin is added and reported, unless `on_duplicate` says
   otherwise (skip, update, add, ask).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from contacthub.duplicates import Keys, Score, TwinIndex
from contacthub.model import Contact, Record
from contacthub.record_merge import merge_contacts
from contacthub.store.identity import IdentityStore

POLICIES = ("skip", "update", "add", "ask")

# ask(card, record, score) -> "skip" | "update" | "add"; None when nobody can be asked.
Ask = Callable[[Contact, Record, Score], str]


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # cards not imported on purpose (Deleted Items, --on-duplicate skip)
    unreadable: int = 0  # cards and files that could not be read (more than `problems` names past its cap)
    files: int = 0
    problems: list[str] = field(default_factory=list)  # unreadable cards and files: one line each
    notes: list[str] = field(default_factory=list)  # what the user should know: clashes, twins, skips
    groups: list[str] = field(default_factory=list)  # one line per group card: what it became

    @property
    def not_imported(self) -> int:
        return self.skipped + self.unreadable


def fingerprint(contact: Contact) -> str:
    """The card's content without its UID and REV, hashed: equal for the same card read twice.

    REV is left out too: Outlook stamps the time of the export, not of the last change.
    """
    data = contact.to_dict()
    data["uid"] = ""
    data["extra"] = [e for e in data["extra"] if e["name"].upper() not in ("REV", "PRODID")]
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Importer:
    """Takes cards one by one into the database of `tx`, counting what it did in `report`."""

    def __init__(self, tx, type_name: str, on_duplicate: str | None = None, ask: Ask | None = None) -> None:
        if on_duplicate is not None and on_duplicate not in POLICIES:
            raise ValueError(f"on_duplicate must be one of {POLICIES}")
        tx.types.get(type_name)  # an unknown type fails the whole import up front
        tx.lock()  # the matching reads every record: no other writer may change them meanwhile
        self.tx = tx
        self.type_name = type_name
        self.on_duplicate = on_duplicate
        self.ask = ask
        self.report = ImportReport()
        self.identity = IdentityStore(tx.session)
        self.live: dict[str, Record] = {}
        self.deleted: dict[str, Record] = {}
        self.by_uid: dict[str, str] = {}
        self.twins = TwinIndex()
        for record in tx.records.list(deleted=None):
            (self.deleted if record.is_deleted else self.live)[record.id] = record
        self.stored = self.identity.fingerprints()
        self.known = dict(self.stored)
        self.found: dict[str, str] = {}  # fingerprints to remember, stored by `finish()`
        for record in list(self.deleted.values()) + list(self.live.values()):  # live ones win a shared UID
            self.by_uid[record.contact.uid] = record.id
        for record in self.live.values():
            self.known.setdefault(fingerprint(record.contact), record.id)
            self.twins.add(record.id, record.contact)

    def take(self, card: Contact, own_uid: bool, source: str) -> None:
        if not card.uid:
            card = card.copy(uid=_new_uid())
        fp = fingerprint(card)
        name = card.best_name() or card.uid
        seen = self.known.get(fp)
        if seen in self.live:
            self.report.unchanged += 1
            return
        if seen in self.deleted:
            self._skip(f"{source}: {name}: already in Deleted Items as {seen[:8]} (`contacthub contact restore {seen[:8]}`); skipped")
            return
        by_uid = self.by_uid.get(card.uid) if own_uid else None
        if by_uid in self.deleted:
            self._skip(f"{source}: {name}: its UID is record {by_uid[:8]}, in Deleted Items (`contacthub contact restore {by_uid[:8]}`); skipped")
            return
        if by_uid is not None:
            record = self.live[by_uid]
            if _same_person(card, record.contact):
                self._update(record, card, fp, source)
                return
            self.report.notes.append(
                f"{source}: {name}: UID {card.uid} is already record {record.id[:8]} ({record.contact.best_name()}), "
                "a different person; both kept, the card gets a new UID"
            )
            card = card.copy(uid=_new_uid())
        twin = self.twins.best(card)
        if twin is None:
            self._add(card, fp, source)
            return
        record, score = self.live[twin[0]], twin[1]
        choice = self._choice(card, record, score)
        why = f"likely twin of {record.id[:8]} ({record.contact.best_name()}): {', '.join(score.reasons)}"
        if choice == "update":
            self._update(record, card, fp, source)
            if not score.same_person:
                self.report.notes.append(f"{source}: {name}: {why}; merged into it")
        elif choice == "add":
            added = self._add(card, fp, source)
            self.report.notes.append(f"{source}: {name}: {why}; added as {added[:8]} (`contacthub contact duplicates` lists it)")
        else:
            unasked = " (--on-duplicate ask without a terminal to ask)" if choice == "skip-unasked" else ""
            self._skip(f"{source}: {name}: {why}; skipped{unasked}")

    def records_by_uid(self) -> dict[str, Record]:
        """The live records by UID, as the import leaves them."""
        return {uid: self.live[rid] for uid, rid in self.by_uid.items() if rid in self.live}

    def finish(self) -> ImportReport:
        """Remember the fingerprints of the cards taken (call once, after the last card)."""
        self.identity.remember(self.found, self.stored)
        self.stored.update(self.found)
        self.found = {}
        return self.report

    # -- steps ------------------------------------------------------------------

    def _choice(self, card: Contact, record: Record, score: Score) -> str:
        policy = self.on_duplicate
        if policy is None:  # the default: the same person is updated, a less certain twin is added
            return "update" if score.same_person else "add"
        if policy != "ask":
            return policy
        if self.ask is None:
            return "skip-unasked"
        return self.ask(card, record, score)

    def _add(self, card: Contact, fp: str, source: str) -> str:
        if card.uid in self.by_uid:  # a UID that is another record's: never two records with one UID
            card = card.copy(uid=_new_uid())
        record = self.tx.records.add(card, type_name=self.type_name, source=source)
        self.report.added += 1
        self._index(record, fp)
        return record.id

    def _update(self, record: Record, card: Contact, fp: str, source: str) -> None:
        merged = merge_contacts(record.contact, card.copy(uid=record.contact.uid), other_wins=True, join_notes=False)
        updated = self.tx.records.update(record.id, merged.contact, source=source)
        if updated.version == record.version:
            self.report.unchanged += 1
        else:
            self.report.updated += 1
        self._index(updated, fp)

    def _skip(self, note: str) -> None:
        self.report.skipped += 1
        self.report.notes.append(note)

    def _index(self, record: Record, fp: str) -> None:
        self.live[record.id] = record
        self.by_uid[record.contact.uid] = record.id
        self.known[fp] = record.id
        self.known.setdefault(fingerprint(record.contact), record.id)
        self.found[fp] = record.id
        self.twins.add(record.id, record.contact)


def _same_person(a: Contact, b: Contact) -> bool:
    """Two contacts under one UID are one person unless their names differ and they share no e-mail or phone."""
    ka, kb = Keys.of(a), Keys.of(b)
    return not ka.name or not kb.name or ka.name == kb.name or bool(ka.emails & kb.emails) or bool(ka.phones & kb.phones)


def _new_uid() -> str:
    import uuid

    return str(uuid.uuid4())
