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

from collections.abc import Callable
from dataclasses import dataclass, field

from contacthub.duplicates import THRESHOLD, Keys, Score, phone_key, score
from contacthub.import_index import ImportIndex
from contacthub.model import Contact, Record, canonical_hash
from contacthub.record_merge import merge_contacts
from contacthub.store.identity import IdentityStore
from contacthub.store.records import new_id

POLICIES = ("skip", "update", "add", "ask")
CHUNK = 1000  # cards per chunk: one multi-row INSERT per table and, with commit_chunks, one commit
KEYS_KEPT = 2 * CHUNK  # twin keys kept in memory: the pending records' and those read lately

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
    return fingerprint_of(contact.to_dict())


def fingerprint_of(data: dict) -> str:
    """`fingerprint` of a contact's `to_dict()` (left as it is), for a caller that has it already."""
    data = {**data, "uid": ""}
    data["extra"] = [e for e in data["extra"] if e["name"].upper() not in ("REV", "PRODID")]
    return canonical_hash(data)


class Importer:
    """Takes cards one by one into the database of `tx`, counting what it did in `report`.

    Memory stays flat at any size: what cards are matched against lives in an
    ImportIndex (a scratch SQLite file), records are read only when a card matches
    one, and new records are written a chunk at a time (`records.add_many`). With
    `commit_chunks`, each chunk is committed with the fingerprints of its cards, so
    an import that is killed resumes when run again: the cards already in are
    "unchanged" (I1). Without it, the whole import is the caller's one transaction.
    """

    def __init__(
        self, tx, type_name: str, on_duplicate: str | None = None, ask: Ask | None = None, commit_chunks: bool = False
    ) -> None:
        if on_duplicate is not None and on_duplicate not in POLICIES:
            raise ValueError(f"on_duplicate must be one of {POLICIES}")
        tx.types.get(type_name)  # an unknown type fails the whole import up front
        tx.lock()  # the matching reads every record: no other writer may change them meanwhile
        self.tx = tx
        self.type_name = type_name
        self.on_duplicate = on_duplicate
        self.ask = ask
        self.commit_chunks = commit_chunks
        self.report = ImportReport()
        self.identity = IdentityStore(tx.session)
        self.index = ImportIndex()
        self.deleted: set[str] = set()
        self.pending: dict[str, tuple[Contact, dict]] = {}  # added, not yet written: card and its to_dict()
        self.keys: dict[str, Keys] = {}  # twin keys of records read lately (and of the pending ones)
        self.found: dict[str, str] = {}  # fingerprints to remember, stored with their chunk
        self.taken = 0
        self._source = ""  # of the pending records
        self.index.set_fingerprints(self.identity.iter_fingerprints())
        for record_id, deleted, contact in tx.records.contents():
            if deleted:
                self.deleted.add(record_id)
                self.index.set_uid(contact.uid, record_id, replace=False)  # a live record wins a shared UID
                continue
            self.index.set_uid(contact.uid, record_id)
            self.index.set_fingerprint(fingerprint(contact), record_id, replace=False)
            self.index.add_blocks(record_id, Keys.of(contact).blocks())

    def take(self, card: Contact, own_uid: bool, source: str) -> None:
        self._take(card, own_uid, source)
        self.taken += 1
        if self.taken % CHUNK == 0:
            self._end_chunk()

    def _take(self, card: Contact, own_uid: bool, source: str) -> None:
        if not card.uid:
            card = card.copy(uid=_new_uid())
        data = card.to_dict()  # once: the fingerprint and, if the card is added, the record's data
        fp = fingerprint_of(data)
        name = card.best_name() or card.uid
        seen = self.index.fingerprint(fp)
        if seen is not None and seen not in self.deleted:
            self.report.unchanged += 1
            return
        if seen is not None:
            self._skip(f"{source}: {name}: already in Deleted Items as {seen[:8]} (`contacthub contact restore {seen[:8]}`); skipped")
            return
        by_uid = self.index.uid(card.uid) if own_uid else None
        if by_uid in self.deleted:
            self._skip(f"{source}: {name}: its UID is record {by_uid[:8]}, in Deleted Items (`contacthub contact restore {by_uid[:8]}`); skipped")
            return
        if by_uid is not None:
            record = self._record(by_uid)
            if _same_person(card, record.contact):
                self._update(record, card, fp, source)
                return
            self.report.notes.append(
                f"{source}: {name}: UID {card.uid} is already record {record.id[:8]} ({record.contact.best_name()}), "
                "a different person; both kept, the card gets a new UID"
            )
            card = card.copy(uid=_new_uid())
        keys = Keys.of(card)
        twin = self._twin(keys)
        if twin is None:
            self._add(card, fp, source, data, keys)
            return
        record, score = self._record(twin[0]), twin[1]
        choice = self._choice(card, record, score)
        why = f"likely twin of {record.id[:8]} ({record.contact.best_name()}): {', '.join(score.reasons)}"
        if choice == "update":
            self._update(record, card, fp, source)
            if not score.same_person:
                self.report.notes.append(f"{source}: {name}: {why}; merged into it")
        elif choice == "add":
            added = self._add(card, fp, source, data, keys)
            self.report.notes.append(f"{source}: {name}: {why}; added as {added[:8]} (`contacthub contact duplicates` lists it)")
        else:
            unasked = " (--on-duplicate ask without a terminal to ask)" if choice == "skip-unasked" else ""
            self._skip(f"{source}: {name}: {why}; skipped{unasked}")

    def records_by_uid(self) -> dict[str, Record]:
        """The live records by UID, as the import leaves them (read from the database: call only when needed)."""
        self._write_pending()
        return {r.contact.uid: r for r in self.tx.records.list()}

    def finish(self) -> ImportReport:
        """Write and remember what the last chunk took (call once, after the last card)."""
        self._end_chunk()
        return self.report

    def close(self) -> None:
        self.index.close()

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

    def _twin(self, keys: Keys) -> tuple[str, Score] | None:
        """The record most likely to be the same person as the card of `keys`, if one is likely enough (as TwinIndex.best)."""
        candidates = self.index.candidates(keys.blocks())
        missing = [c for c in candidates if c not in self.keys]
        if missing:
            self._prune_keys()
            self.keys.update((i, Keys.of(r.contact)) for i, r in self.tx.records.get_many(missing).items())
        best: tuple[str, Score] | None = None
        for record_id in candidates:
            s = score(keys, self.keys[record_id])
            if s.points >= THRESHOLD and (best is None or (s.same_person, s.points) > (best[1].same_person, best[1].points)):
                best = (record_id, s)
        return best

    def _record(self, record_id: str) -> Record:
        if record_id in self.pending:
            self._write_pending()
        return self.tx.records.get(record_id)

    def _add(self, card: Contact, fp: str, source: str, data: dict, keys: Keys) -> str:
        """Add `card` (its `to_dict()` and twin keys given, as computed already; only its UID may differ since)."""
        if self.index.uid(card.uid) is not None:  # a UID that is another record's: never two records with one UID
            card = card.copy(uid=_new_uid())
        if source != self._source:  # one source (history) per add_many
            self._write_pending()
            self._source = source
        record_id = new_id()
        self.pending[record_id] = (card, {**data, "uid": card.uid})
        self.report.added += 1
        # The record's content is the card's, so its content fingerprint is `fp`: no second one to index.
        self._index(record_id, card, fp, keys)
        return record_id

    def _update(self, record: Record, card: Contact, fp: str, source: str) -> None:
        merged = merge_contacts(record.contact, card.copy(uid=record.contact.uid), other_wins=True, join_notes=False)
        updated = self.tx.records.update(record.id, merged.contact, source=source)
        if updated.version == record.version:
            self.report.unchanged += 1
        else:
            self.report.updated += 1
        self._index(updated.id, updated.contact, fp)
        self.index.set_fingerprint(fingerprint(updated.contact), updated.id, replace=False)

    def _skip(self, note: str) -> None:
        self.report.skipped += 1
        self.report.notes.append(note)

    def _index(self, record_id: str, contact: Contact, fp: str, keys: Keys | None = None) -> None:
        self.index.set_uid(contact.uid, record_id)
        self.index.set_fingerprint(fp, record_id)
        self.found[fp] = record_id
        keys = keys or Keys.of(contact)
        self._prune_keys()
        self.keys[record_id] = keys
        self.index.add_blocks(record_id, keys.blocks())

    def _prune_keys(self) -> None:
        """Keep the twin keys of the pending records (not in the database yet) and of a few others."""
        if len(self.keys) > KEYS_KEPT:
            self.keys = {i: k for i, k in self.keys.items() if i in self.pending}

    def _write_pending(self) -> None:
        if self.pending:
            items = ((record_id, card, data) for record_id, (card, data) in self.pending.items())
            self.tx.records.add_many(items, type_name=self.type_name, source=self._source)
            self.pending = {}

    def _end_chunk(self) -> None:
        """Write the chunk's new records and fingerprints; with `commit_chunks`, commit them as one."""
        self._write_pending()
        self.identity.remember_many(self.found)
        self.found = {}
        # phone_key's cache serves find_duplicates; an import sees each number about once, and the
        # cache would otherwise grow to 65,536 numbers (~14 MB) on a big file.
        phone_key.cache_clear()
        if self.commit_chunks:
            self.tx.session.commit()
            self.tx.lock()


def _same_person(a: Contact, b: Contact) -> bool:
    """Two contacts under one UID are one person unless their names differ and they share no e-mail or phone."""
    ka, kb = Keys.of(a), Keys.of(b)
    return not ka.name or not kb.name or ka.name == kb.name or bool(ka.emails & kb.emails) or bool(ka.phones & kb.phones)


def _new_uid() -> str:
    import uuid

    return str(uuid.uuid4())
