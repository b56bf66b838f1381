"""Raw cards -> `Contact`s and groups; the reading entry points (see `contacthub.vcard`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from contacthub.model import Address, Contact, Name, Typed
from contacthub.vcard_props import (
    BadCard,
    Property,
    apple_label,
    decode,
    padded,
    parse_property,
    split,
    text,
    with_groups,
)
from contacthub.vcard_scan import CHUNK_BYTES, RawCard, Stray, scan
from contacthub.vcard_values import iso_date, photo, types_and_pref

VERSIONS_READ = ("2.1", "3.0", "4.0")
SERVER_CLOCK = frozenset({"REV"})  # properties read as nobody's data (see contacthub.vcard's module doc)
MAX_PROBLEMS = 20  # per file; the rest are counted ("... and 312 more")


@dataclass
class CardGroup:
    """A group card (4.0 ``KIND:group``, Apple's ``X-ADDRESSBOOKSERVER-KIND:group``): a list, not a person."""

    name: str
    uid: str
    members: list[str]  # member URIs as written: urn:uuid:..., mailto:...
    where: str  # "<file>: card at line <n>", for reports


@dataclass
class ReadResult:
    """The contacts and groups read from a file, and one line per problem met on the way."""

    contacts: list[Contact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    groups: list[CardGroup] = field(default_factory=list)
    skipped: int = 0  # cards that could not be read


# -- properties -> Contact -----------------------------------------------------------

_GROUPED = ("EMAIL", "TEL", "ADR", "URL", "IMPP")
_GROUP_KIND = ("KIND", "X-ADDRESSBOOKSERVER-KIND")
_GROUP_MEMBER = ("MEMBER", "X-ADDRESSBOOKSERVER-MEMBER")


class _CardReader:
    """Builds one Contact (or a CardGroup) from a card's properties."""

    def __init__(self, props: list[Property]) -> None:
        self.props = props
        self.contact = Contact()
        self.filled: set[str] = set()
        self.notes: list[str] = []
        self.labels = self._labels()

    def _labels(self) -> dict[str, Property]:
        """X-ABLabel per group, for groups that hold a labelled modelled property."""
        labels = {p.group.lower(): p for p in reversed(self.props) if p.key == "X-ABLABEL" and p.group}
        used = {p.group.lower() for p in self.props if p.key in _GROUPED and p.group}
        return {g: p for g, p in labels.items() if g in used}

    def is_group(self) -> bool:
        return any(p.key in _GROUP_KIND and text(p.value).strip().lower() == "group" for p in self.props)

    def group(self, where: str) -> CardGroup:
        by_key = {p.key: text(p.value) for p in reversed(self.props)}
        members = [text(p.value).strip() for p in self.props if p.key in _GROUP_MEMBER]
        name = by_key.get("FN") or padded(self.props_value("N"), 1)[0]
        return CardGroup(name=name.strip(), uid=by_key.get("UID", ""), members=members, where=where)

    def props_value(self, key: str) -> str:
        return next((p.value for p in self.props if p.key == key), "")

    def check_version(self) -> None:
        version = [text(p.value).strip() for p in self.props if p.key == "VERSION"]
        if version and version[0] not in VERSIONS_READ:
            raise BadCard(f"unknown vCard version {version[0][:20]!r} (read: {', '.join(VERSIONS_READ)})")

    def read(self, new_uid: bool = True) -> Contact:
        for prop in self.props:
            if prop.key in ("VERSION", "PRODID") or prop.key in SERVER_CLOCK or self._is_consumed_label(prop):
                continue
            reader = _READERS.get(prop.key)
            if reader is None or not reader(self, prop):
                self.contact.extra.append(prop.to_extra())
        contact = self.contact
        if not (contact.display_name.strip() or not contact.name.is_empty() or contact.organization or contact.emails):
            raise BadCard("no name, company or e-mail")
        if not contact.uid and new_uid:
            contact.uid = str(uuid.uuid4())
        if "display_name" not in self.filled:
            contact.display_name = contact.best_name()
        return with_groups(contact)  # a label read without a group (Samsung's) gets the one it is written in

    def _is_consumed_label(self, prop: Property) -> bool:
        return prop.key == "X-ABLABEL" and self.labels.get(prop.group.lower()) is prop

    def single(self, slot: str, prop: Property) -> bool:
        """Claim a single-valued field; False when a previous property filled it."""
        if slot in self.filled:
            return False
        self.filled.add(slot)
        return True

    def keep_form(self, prop: Property) -> None:
        """Remember a single-valued property's group and unmapped parameters (written back as read)."""
        key = "ANNIVERSARY" if prop.key == "X-ANNIVERSARY" else prop.key  # one field, written as either
        kept = prop.unmapped()
        if kept:
            self.contact.params[key] = kept
        if prop.group:
            self.contact.groups[key] = prop.group

    def label_of(self, prop: Property) -> str:
        found = self.labels.get(prop.group.lower()) if prop.group else None
        label = prop.take_custom_label()  # an X-ABLabel wins over Samsung's label
        return apple_label(found.value) if found else label


def _read_text(slot: str) -> Callable[[_CardReader, Property], bool]:
    def read(reader: _CardReader, prop: Property) -> bool:
        if not reader.single(slot, prop):
            return False
        setattr(reader.contact, slot, text(prop.value))
        reader.keep_form(prop)
        return True

    return read


def _read_list(slot: str) -> Callable[[_CardReader, Property], bool]:
    def read(reader: _CardReader, prop: Property) -> bool:
        if prop.params or prop.group:
            if not reader.single(slot, prop):
                return False  # a second one with its own parameters: kept whole
            reader.keep_form(prop)
        getattr(reader.contact, slot).extend(v for v in split(prop.value, ",") if v)
        return True

    return read


def _read_typed(slot: str, kind: str) -> Callable[[_CardReader, Property], bool]:
    def read(reader: _CardReader, prop: Property) -> bool:
        value = text(prop.value)
        if kind == "TEL" and value[:4].lower() == "tel:" and any(v.lower() == "uri" for v in prop.param("VALUE")):
            value = value[4:]
        if not value.strip():
            return True  # an empty EMAIL:/TEL: holds nothing: dropped
        types, pref = types_and_pref(prop)
        label = reader.label_of(prop)
        item = Typed(value=value, types=types, label=label, pref=pref, params=prop.unmapped(), group=prop.group)
        getattr(reader.contact, slot).append(item)
        return True

    return read


def _read_name(reader: _CardReader, prop: Property) -> bool:
    if not reader.single("name", prop):
        return False
    reader.contact.name = Name(*padded(prop.value, 7))
    reader.keep_form(prop)
    return True


def _read_org(reader: _CardReader, prop: Property) -> bool:
    if not reader.single("organization", prop):
        return False
    parts = split(prop.value, ";")
    reader.contact.organization = parts[0]
    reader.contact.org_units = [u for u in parts[1:] if u]
    reader.keep_form(prop)
    return True


def _read_address(reader: _CardReader, prop: Property) -> bool:
    po_box, extended, street, locality, region, postal_code, country = padded(prop.value, 7)
    parts = (street, locality, region, postal_code, country, po_box, extended)
    if not any(p.strip() for p in parts):
        return True  # an empty ADR holds nothing: dropped
    types, pref = types_and_pref(prop)
    label = reader.label_of(prop)
    reader.contact.addresses.append(
        Address(*parts, types=types, label=label, pref=pref, params=prop.unmapped(), group=prop.group)
    )
    return True


def _read_date(slot: str) -> Callable[[_CardReader, Property], bool]:
    def read(reader: _CardReader, prop: Property) -> bool:
        value = iso_date(prop)
        if value is None or not reader.single(slot, prop):
            return False
        setattr(reader.contact, slot, value)
        reader.keep_form(prop)
        return True

    return read


def _read_photo(reader: _CardReader, prop: Property) -> bool:
    found = photo(prop)
    if found is None:
        reader.notes.append(f"line {prop.line}: PHOTO data cannot be decoded, kept as an unknown property")
        return False
    if not reader.single("photo", prop):
        return False
    reader.contact.photo = found
    reader.keep_form(prop)
    return True


_READERS: dict[str, Callable[[_CardReader, Property], bool]] = {
    "UID": _read_text("uid"),
    "FN": _read_text("display_name"),
    "N": _read_name,
    "NICKNAME": _read_list("nicknames"),
    "ORG": _read_org,
    "TITLE": _read_text("title"),
    "ROLE": _read_text("role"),
    "EMAIL": _read_typed("emails", "EMAIL"),
    "TEL": _read_typed("phones", "TEL"),
    "ADR": _read_address,
    "URL": _read_typed("urls", "URL"),
    "IMPP": _read_typed("ims", "IMPP"),
    "BDAY": _read_date("birthday"),
    "ANNIVERSARY": _read_date("anniversary"),
    "X-ANNIVERSARY": _read_date("anniversary"),
    "NOTE": _read_text("note"),
    "CATEGORIES": _read_list("categories"),
    "PHOTO": _read_photo,
}


# -- the stream of one file ----------------------------------------------------------


def _card_charset(lines: list[tuple[int, bytes]]) -> str:
    """UTF-8, unless the card's bytes are not valid UTF-8 (Outlook's windows-1252 exports)."""
    try:
        for _, line in lines:
            line.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"
    return "utf-8"


def _who(card: RawCard, charset: str) -> str:
    """' (FN "Ann", UID "u-1")' from the card's first FN and UID lines, as far as they read."""
    named = []
    for key in ("FN", "UID"):
        raw = card.ident.get(key)
        if raw is None:
            continue
        try:
            value = text(parse_property(0, raw, charset).value)
        except BadCard:  # the line holds what made the card bad: show it, made printable
            value = decode(raw.split(b":", 1)[-1], charset)
        value = re.sub(r"[\x00-\x1f\x7f]", "?", value.strip()).replace('"', "'")
        if value:
            named.append(f'{key} "{value if len(value) <= 40 else value[:40] + "..."}"')
    return f" ({', '.join(named)})" if named else ""


class VCardStream:
    """The cards of one input, read incrementally: iterate for `Contact`s and `CardGroup`s.

    Bad cards are skipped and reported in `problems`, one line each
    (``"<source>: card at line <n> (FN "x", UID "y"): <reason>, skipped"``), at
    most MAX_PROBLEMS lines and then a count. Never raises for malformed input.
    """

    def __init__(self, chunks: Iterable[bytes], source: str = "<input>", new_uids: bool = True) -> None:
        self.chunks = chunks
        self.source = source
        self.new_uids = new_uids  # False: a card without UID reads with none (import matches it by content)
        self.problems: list[str] = []
        self.skipped = 0
        self._more = 0

    @classmethod
    def from_file(cls, handle: BinaryIO, source: str, new_uids: bool = True) -> VCardStream:
        return cls(iter(lambda: handle.read(CHUNK_BYTES), b""), source, new_uids)

    def _where(self, card: RawCard, charset: str) -> str:
        return f"{self.source}: card at line {card.begin}{_who(card, charset)}"

    def _report(self, line: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(line)
        else:
            self._more += 1

    def __iter__(self) -> Iterator[Contact | CardGroup]:
        for item in scan(self.chunks):
            if isinstance(item, Stray):
                self._report(f"{self.source}: line {item.line}: {item.message}")
                continue
            charset = _card_charset(item.lines)
            try:
                if item.error:
                    raise BadCard(item.error)
                reader = _CardReader([parse_property(n, line, charset) for n, line in item.lines])
                reader.check_version()
                result = reader.group(self._where(item, charset)) if reader.is_group() else reader.read(self.new_uids)
            except BadCard as bad:
                self.skipped += 1
                self._report(f"{self._where(item, charset)}: {bad}, skipped")
                continue
            for note in reader.notes:
                self._report(f"{self._where(item, charset)}: {note}")
            yield result
        if self._more:
            self.problems.append(f"{self.source}: ... and {self._more} more problems")
            self._more = 0


def read_vcards(data: bytes | str, source: str = "<input>") -> ReadResult:
    """Every good card in `data`, in file order; each bad card is reported and skipped."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    stream = VCardStream([raw], source)
    result = ReadResult()
    for item in stream:
        (result.groups if isinstance(item, CardGroup) else result.contacts).append(item)
    result.problems, result.skipped = stream.problems, stream.skipped
    return result
