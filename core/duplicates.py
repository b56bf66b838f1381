"""Likely twins among records (I3): normalised keys, a score that says why, blocking.

Pairs are never compared all against all: records are put in blocks by their
normalised e-mails, phones and names, and only records sharing a block are
scored. 10,000 records make a few thousand candidate pairs, not 50 million.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from contacthub.model import Contact, Record

# Points per kind of evidence; a pair is a likely twin from THRESHOLD on (capped at 100).
SAME_EMAIL = 60
SAME_PHONE = 50
SAME_NAME = 50
SIMILAR_NAME = 30
SAME_COMPANY = 15
THRESHOLD = 45
SIMILAR_RATIO = 0.85
# A block shared by more records than this (a switchboard number, info@) says little: it is skipped
# rather than scored pair by pair.
MAX_BLOCK = 50


def email_key(value: str) -> str:
    return value.strip().casefold()


@lru_cache(maxsize=65536)
def phone_key(value: str) -> str:
    """E.164 when phonenumbers can read the number (with or without +), else its digits."""
    import phonenumbers

    text = value.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if text.startswith("00"):  # the international call prefix most of the world dials: same as "+"
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, None)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) >= 6 else ""


def _fold(text: str) -> str:
    """Lower case without accents: "Jürgen Groß" and "Jurgen Gross" fold alike."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def name_key(contact: Contact) -> str:
    """The person's name, folded, its words sorted ("Dunker, Andrea" = "Andrea Dunker"); "" without one."""
    n = contact.name
    parts = [n.given, n.additional, n.family] if (n.given or n.family) else [contact.display_name]
    words = sorted(w for w in _fold(" ".join(parts)).replace(",", " ").replace(".", " ").split() if w)
    return " ".join(words)


def company_key(contact: Contact) -> str:
    return " ".join(_fold(contact.organization).split())


@dataclass
class Keys:
    """What a contact is compared on."""

    emails: set[str]
    phones: set[str]
    name: str
    company: str
    family_initial: str = ""  # "dunker a": Andy and Andrea Dunker are similar names

    @classmethod
    def of(cls, contact: Contact) -> Keys:
        n = contact.name
        family, given = _fold(n.family).strip(), _fold(n.given).strip()
        if not family and not given:
            words = _fold(contact.display_name).split()
            family, given = (words[-1], words[0]) if len(words) > 1 else ("", "")
        return cls(
            emails={k for k in (email_key(e.value) for e in contact.emails) if k},
            phones={k for k in (phone_key(p.value) for p in contact.phones) if k},
            name=name_key(contact),
            company=company_key(contact),
            family_initial=f"{family} {given[:1]}" if family and given else "",
        )

    def similar_name(self, other: Keys) -> bool:
        if self.family_initial and self.family_initial == other.family_initial:
            return True
        return difflib.SequenceMatcher(None, self.name, other.name).ratio() >= SIMILAR_RATIO

    def blocks(self) -> list[str]:
        found = [f"e:{e}" for e in self.emails] + [f"p:{p}" for p in self.phones]
        if self.name:
            found.append(f"n:{self.name}")
            words = self.name.split()
            # Similar names share their longest word ("andrea dunker" / "andreas dunker").
            found.append(f"w:{max(words, key=len)}")
        if self.family_initial:
            found.append(f"f:{self.family_initial}")
        return found


@dataclass
class Score:
    points: int
    reasons: list[str] = field(default_factory=list)
    same_person: bool = False  # same name and a shared e-mail or phone: an import takes it as the same contact


def score(a: Keys, b: Keys) -> Score:
    """How likely two contacts are one person, and why."""
    points, reasons = 0, []
    emails = sorted(a.emails & b.emails)
    phones = sorted(a.phones & b.phones)
    if emails:
        points += SAME_EMAIL
        reasons.append("same e-mail " + ", ".join(emails))
    if phones:
        points += SAME_PHONE
        reasons.append("same phone " + ", ".join(phones))
    same_name = bool(a.name) and a.name == b.name
    if same_name:
        points += SAME_NAME
        reasons.append("same name")
    elif a.name and b.name and a.similar_name(b):
        points += SIMILAR_NAME
        reasons.append("similar name")
    if a.company and a.company == b.company:
        points += SAME_COMPANY
        reasons.append("same company")
    # A shared e-mail with a clearly different name (a shared info@ box) is no proof.
    if (emails or phones) and a.name and b.name and not same_name and "similar name" not in reasons:
        points -= SAME_NAME // 2
        reasons.append("different name")
    return Score(min(points, 100), reasons, same_person=same_name and bool(emails or phones))


@dataclass
class Twin:
    a: Record
    b: Record
    score: int
    reasons: list[str]


def find_duplicates(records: Iterable[Record], threshold: int = THRESHOLD) -> list[Twin]:
    """Likely twins among live records, best first; each pair says why."""
    records = [r for r in records if not r.is_deleted]
    keys = [Keys.of(r.contact) for r in records]
    blocks: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        for block in k.blocks():
            blocks.setdefault(block, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            pairs.update((x, y) for n, x in enumerate(members) for y in members[n + 1 :])
    twins = []
    for x, y in pairs:
        s = score(keys[x], keys[y])
        if s.points >= threshold:
            a, b = sorted((records[x], records[y]), key=lambda r: (r.created_at is None, r.created_at, r.id))
            twins.append(Twin(a, b, s.points, s.reasons))
    twins.sort(key=lambda t: (-t.score, t.a.contact.best_name().casefold(), t.a.id, t.b.id))
    return twins


class TwinIndex:
    """Records by block, for an import to find the likely twin of each card as it goes."""

    def __init__(self) -> None:
        self._blocks: dict[str, list[str]] = {}
        self._keys: dict[str, Keys] = {}

    def add(self, record_id: str, contact: Contact) -> None:
        keys = Keys.of(contact)
        self._keys[record_id] = keys
        for block in keys.blocks():
            members = self._blocks.setdefault(block, [])
            if record_id not in members:
                members.append(record_id)

    def best(self, contact: Contact, threshold: int = THRESHOLD) -> tuple[str, Score] | None:
        """The indexed record most likely to be the same person as `contact`, if any is likely enough."""
        keys = Keys.of(contact)
        candidates: list[str] = []
        for block in keys.blocks():
            members = self._blocks.get(block, [])
            if len(members) <= MAX_BLOCK:
                candidates.extend(m for m in members if m not in candidates)
        best: tuple[str, Score] | None = None
        for record_id in candidates:
            s = score(keys, self._keys[record_id])
            if s.points >= threshold and (best is None or (s.same_person, s.points) > (best[1].same_person, best[1].points)):
                best = (record_id, s)
        return best
