"""vCard 2.1 / 3.0 / 4.0 text <-> `Contact`: the only place that knows vCard text.

Reading (`read_vcards`) works in three steps:

1. Bytes -> logical lines (`_logical_lines`): BOM removed, lines unfolded *on bytes*
   so that a fold inside a UTF-8 sequence is repaired, and vCard 2.1
   quoted-printable soft line breaks joined.
2. Logical line -> property (`_parse_property`): vobject's line grammar
   (`vobject.base.parseLine`) splits group, name and parameters; the value is then
   quoted-printable decoded and charset decoded here, in ONE place (see there).
3. Properties -> `Contact` (`_to_contact`); every property the model does not map
   goes to `Contact.extra` with its name, group, parameters (in order) and raw value.

Why not `vobject.readComponents` end to end: it stops at the first bad line of a
file (we must skip one bad card and go on), keeps a card's properties in a dict
keyed by name (file order is lost), merges parameters into a dict (their order is
lost), its text decoding keeps only the part of a value before the first unescaped
comma, and its quoted-printable decoding raises on bytes that are not valid in the
declared charset.  Why not `vobject`'s serializer: it sorts properties and
parameters, drops 2.1 bare parameters, never folds PHOTO, and its `foldOneLine`
leaves a line of fewer than 75 *characters* unfolded even when it is longer than
75 octets.

Decisions (each one kept exact by a round trip: read -> write -> read is equal):

- VERSION and PRODID are regenerated on writing; they never go to `extra`.
- REV is the storing app's clock, not contact data: it never goes to `extra`
  (kept there, it was written back stale forever); connectors read it from the
  card text to order edits (`RemoteItem.changed_at`).
- A card without UID gets a new uuid4; a card without FN gets `best_name()` as its
  display name (what the writer puts in FN).
- Apple ``itemN.X-ABLabel`` attached to EMAIL, TEL, ADR, URL or IMPP goes to that
  value's `label`, decoded: ``_$!<Other>!$_`` becomes "Other".  On writing, Apple's
  built-in label names (`_APPLE_LABELS`) are wrapped again, other labels are written
  as they are.  Groups are renumbered: the n-th EMAIL/TEL/ADR/URL/IMPP (in that
  order) is written in group ``item<n>`` when it has a label or when an `extra`
  property is in that group (so Apple's ``itemN.X-ABADR`` stays with its ADR).
- Type values are lower-cased; ``pref`` becomes `pref=True` (3.0 ``TYPE=pref``, 2.1
  bare ``PREF``, 4.0 ``PREF=1``); the implied email type ``internet`` is dropped.
- Parameters of modelled properties other than TYPE/PREF/VALUE (e.g. IMPP's
  X-SERVICE-TYPE, 4.0 PID/ALTID/LABEL) are not kept.
- IMPP goes to `ims`; the legacy X-JABBER, X-SKYPE, X-AIM ... properties are plain
  `X-` properties and stay in `extra`, verbatim.
- BDAY, ANNIVERSARY and X-ANNIVERSARY are normalised to ``YYYY-MM-DD`` or
  ``--MM-DD`` (Apple's ``X-APPLE-OMIT-YEAR`` year becomes ``--MM-DD``); a value that
  is not a date (4.0 ``VALUE=text``) stays in `extra`.  3.0 is written as
  ``1970-04-15``/``--04-15`` with X-ANNIVERSARY; 4.0 as ``19700415``/``--0415``
  with ANNIVERSARY.
- A second FN, N, UID, BDAY ... (single-valued properties) and a PHOTO that cannot
  be decoded go to `extra`.
- 2.1 values: quoted-printable and CHARSET are decoded and those parameters dropped
  (the output is UTF-8); decoded line breaks become ``\\n``.  Bare parameters become
  ``TYPE=<value>`` (``BASE64`` becomes ``ENCODING=b``).
- `extra` properties are written back as read (their value byte-for-byte), in both
  3.0 and 4.0.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed

# vobject's line grammar and escaping, imported by `_load_vobject` when the first card
# is read or written, not with this module: a sync pass that finds no change imports
# this module (through its connector) but reads and writes no card.
parseLine = ParseError = backslashEscape = None


def _load_vobject() -> None:
    global parseLine, ParseError, backslashEscape
    if parseLine is None:
        from vobject.base import ParseError, backslashEscape, parseLine  # noqa: F811


__all__ = ["ReadResult", "read_vcards", "to_vcard", "to_vcards"]

PRODID = "-//contacthub//contacthub vCard//EN"
VERSIONS = ("3.0", "4.0")
FOLD_OCTETS = 75
SERVER_CLOCK = frozenset({"REV"})  # properties read as nobody's data (see the module doc)

# Apple's built-in labels, written as _$!<Name>!$_ (anything else is a custom label).
_APPLE_LABELS = frozenset(
    ("Home", "Work", "Other", "Main", "Mobile", "iPhone", "HomeFAX", "WorkFAX", "OtherFAX", "Pager", "HomePage")
    + ("School", "Anniversary", "Father", "Mother", "Parent", "Brother", "Sister", "Child", "Friend", "Spouse")
    + ("Partner", "Assistant", "Manager")
)
_APPLE_LABEL_RE = re.compile(r"_\$!<(.*)>!\$_", re.DOTALL)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_FALLBACK_CHARSET = "windows-1252"
_ESCAPES = {"\\": "\\", ",": ",", ";": ";", "n": "\n", "N": "\n", ":": ":"}
_FULL_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})(?:T.*)?")


@dataclass
class ReadResult:
    """The contacts read from a file, and one line per problem met on the way."""

    contacts: list[Contact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Property:
    """One content line, value still escaped (vCard 3.0/4.0 text rules)."""

    name: str  # as written
    group: str
    params: list[tuple[str, str]]
    value: str
    line: int

    @property
    def key(self) -> str:
        return self.name.upper()

    def param(self, name: str) -> list[str]:
        """All values of parameter `name`, comma lists split."""
        return [v for k, vs in self.params if k.upper() == name for v in vs.split(",")]

    def to_extra(self) -> ExtraProperty:
        return ExtraProperty(name=self.name, value=self.value, params=list(self.params), group=self.group)


class _BadCard(Exception):
    """A card that cannot be read; the message names the line and why."""


# -- reading: bytes -> logical lines ------------------------------------------


def _to_bytes(data: bytes | str) -> bytes:
    """Input as UTF-8 bytes, without a byte order mark (UTF-16 input re-encoded)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            text = raw[len(bom) :].decode(codec, errors="replace")
            return text.encode("utf-8") if codec != "utf-8" else raw[len(bom) :]
    return raw


def _file_charset(lines: list[tuple[int, bytes]]) -> str:
    """UTF-8, unless the unfolded bytes are not valid UTF-8 (Outlook's windows-1252 exports)."""
    try:
        b"\n".join(line for _, line in lines).decode("utf-8")
    except UnicodeDecodeError:
        return _FALLBACK_CHARSET
    return "utf-8"


def _qp_soft_break(line: bytes) -> bool:
    """A quoted-printable value ending in '=' continues on the next physical line."""
    return line.endswith(b"=") and b"QUOTED-PRINTABLE" in line.split(b":", 1)[0].upper()


def _logical_lines(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, logical line) pairs, unfolded on bytes before any decoding."""
    current, start = b"", 0
    for number, line in enumerate(_LINE_BREAK.split(raw), 1):
        if current and _qp_soft_break(current):
            current = current[:-1] + line
        elif current and line[:1] in (b" ", b"\t"):
            current += line[1:]
        else:
            if current.strip():
                yield start, current
            current, start = line, number
    if current.strip():
        yield start, current


# -- reading: logical line -> property ----------------------------------------


def _decode(data: bytes, charset: str) -> str:
    """Bytes in `charset`; undecodable bytes fall back to windows-1252."""
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode(_FALLBACK_CHARSET, errors="replace")


def _header_end(raw: bytes) -> int:
    """Index of the ':' that ends name and parameters (one inside quotes does not)."""
    quoted = False
    for i, byte in enumerate(raw):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:
            return i
    return -1


def _bare_param(value: str) -> tuple[str, str] | None:
    """A 2.1 parameter given by value alone, named; None when it only described the transfer."""
    upper = value.upper()
    if upper in ("QUOTED-PRINTABLE", "7BIT", "8BIT"):
        return None
    if upper == "BASE64":
        return ("ENCODING", "b")
    return ("TYPE", value)


def _parse_property(number: int, raw: bytes, charset: str) -> _Property:
    colon = _header_end(raw)
    if colon < 0:
        raise _BadCard(f"line {number}: no ':' after the property name: {_preview(raw)}")
    header = _decode(raw[:colon], charset)
    try:
        name, parsed, _, group = parseLine(header + ":")
    except ParseError:
        raise _BadCard(f"line {number}: not a property: {_preview(raw)}") from None

    params: list[tuple[str, str]] = []
    quoted_printable = False
    for param in parsed:
        if len(param) == 1:
            if param[0].upper() == "QUOTED-PRINTABLE":
                quoted_printable = True
            named = _bare_param(param[0])
        elif param[0].upper() == "ENCODING" and param[1].upper() in ("QUOTED-PRINTABLE", "7BIT", "8BIT"):
            quoted_printable = quoted_printable or param[1].upper() == "QUOTED-PRINTABLE"
            named = None
        else:
            named = (param[0], ",".join(param[1:]))
        if named is not None:
            params.append(named)
    declared = [v for k, v in params if k.upper() == "CHARSET"]
    params = [p for p in params if p[0].upper() != "CHARSET"]

    # The one place that handles vCard 2.1 QUOTED-PRINTABLE.  vobject decodes it
    # inside ContentLine() but raises on bytes invalid in the declared charset and
    # leaves decoded line breaks raw; here the value is QP-decoded on bytes, then
    # decoded in its CHARSET (else the file's charset), and decoded line breaks are
    # written as the 3.0 escape "\n" so the value reads like any other.
    value_bytes = raw[colon + 1 :]
    if quoted_printable:
        value_bytes = quopri.decodestring(value_bytes)
    value = _decode(value_bytes, declared[0] if declared else charset)
    if quoted_printable:
        value = re.sub(r"\r\n|\r|\n", r"\\n", value)
    return _Property(name=name, group=group or "", params=params, value=value, line=number)


def _preview(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    return repr(text if len(text) <= 40 else text[:40] + "...")


# -- reading: text values -----------------------------------------------------


def _split(raw: str, sep: str | None) -> list[str]:
    """Split on unescaped `sep` and unescape each part.

    By hand: vobject's stringToTextValues turns a trailing backslash into the text
    "\\eof".  Unknown escapes keep their backslash; "\\:" (Apple and Google write
    "http\\://") is unescaped.
    """
    parts: list[str] = []
    current: list[str] = []
    chars = iter(raw)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            current.append(_ESCAPES.get(nxt, "\\" + nxt))
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _text(raw: str) -> str:
    return _split(raw, None)[0]


def _padded(raw: str, count: int) -> list[str]:
    parts = _split(raw, ";")
    return (parts + [""] * count)[:count]


def _types(prop: _Property) -> tuple[list[str], bool]:
    types: list[str] = []
    pref = any(v.strip() == "1" for v in prop.param("PREF"))
    for value in prop.param("TYPE"):
        kind = value.strip().lower()
        if kind == "pref":
            pref = True
        elif kind and kind != "internet":
            types.append(kind)
    return types, pref


def _label(raw: str) -> str:
    text = _text(raw)
    match = _APPLE_LABEL_RE.fullmatch(text)
    return match.group(1) if match else text


def _iso_date(prop: _Property) -> str | None:
    """BDAY/ANNIVERSARY as YYYY-MM-DD or --MM-DD; None when the value is not a date."""
    text = _text(prop.value).strip()
    full = _FULL_DATE.fullmatch(text)
    if full:
        year, month, day = (int(g) for g in full.groups())
        omitted = prop.param("X-APPLE-OMIT-YEAR")
        if omitted and omitted[0].strip() == full.group(1):
            return _no_year(month, day)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    no_year = _NO_YEAR.fullmatch(text)
    if no_year:
        return _no_year(*(int(g) for g in no_year.groups()))
    return None


def _no_year(month: int, day: int) -> str | None:
    try:
        date(2000, month, day)  # a leap year, so --02-29 is valid
    except ValueError:
        return None
    return f"--{month:02d}-{day:02d}"


def _media_type(photo_type: str) -> str:
    """A 3.0 PHOTO TYPE (JPEG) or a full media type, as a media type."""
    kind = photo_type.strip().lower()
    if not kind or "/" in kind:
        return kind
    return "image/" + kind


def _photo(prop: _Property) -> Photo | None:
    """The photo, or None when its inline data cannot be decoded."""
    value = prop.value.strip()
    encoding = [e.strip().upper() for e in prop.param("ENCODING")]
    kinds = prop.param("MEDIATYPE") or prop.param("TYPE")
    media = _media_type(kinds[0]) if kinds else ""
    try:
        if encoding and encoding[0] in ("B", "BASE64"):
            return Photo(data=base64.b64decode(re.sub(r"\s", "", value), validate=True), media_type=media)
        if value[:5].lower() == "data:":
            header, _, payload = value[5:].partition(",")
            if header.lower().endswith(";base64"):
                data = base64.b64decode(re.sub(r"\s", "", payload), validate=True)
                return Photo(data=data, media_type=header[:-7].lower())
            return Photo(data=urllib.parse.unquote_to_bytes(payload), media_type=header.lower())
    except (binascii.Error, ValueError):
        return None
    return Photo(uri=_text(value), media_type=media)


# -- reading: properties -> Contact -------------------------------------------

_GROUPED = ("EMAIL", "TEL", "ADR", "URL", "IMPP")


class _CardReader:
    """Builds one Contact from a card's properties."""

    def __init__(self, props: list[_Property]) -> None:
        self.props = props
        self.contact = Contact()
        self.filled: set[str] = set()
        self.notes: list[str] = []
        self.extra: list[_Property] = []
        self.labels = self._labels()
        self.item_groups: dict[str, list[str]] = {kind: [] for kind in _GROUPED}

    def _labels(self) -> dict[str, _Property]:
        """X-ABLabel per group, for groups that hold a labelled modelled property."""
        labels = {p.group.lower(): p for p in reversed(self.props) if p.key == "X-ABLABEL" and p.group}
        used = {p.group.lower() for p in self.props if p.key in _GROUPED and p.group}
        return {g: p for g, p in labels.items() if g in used}

    def read(self) -> Contact:
        for prop in self.props:
            if prop.key in ("VERSION", "PRODID") or prop.key in SERVER_CLOCK or self._is_consumed_label(prop):
                continue
            reader = _READERS.get(prop.key)
            if reader is None or not reader(self, prop):
                self.extra.append(prop)
        contact = self.contact
        if not contact.uid:
            contact.uid = str(uuid.uuid4())
        if "display_name" not in self.filled:
            contact.display_name = contact.best_name()
        contact.extra = self._extra_with_canonical_groups()
        return contact

    def _is_consumed_label(self, prop: _Property) -> bool:
        return prop.key == "X-ABLABEL" and self.labels.get(prop.group.lower()) is prop

    def single(self, slot: str) -> bool:
        """Claim a single-valued field; False when a previous property filled it."""
        if slot in self.filled:
            return False
        self.filled.add(slot)
        return True

    def label_of(self, prop: _Property) -> str:
        found = self.labels.get(prop.group.lower()) if prop.group else None
        return _label(found.value) if found else ""

    def _extra_with_canonical_groups(self) -> list[ExtraProperty]:
        """`extra` with groups named as the writer will name them (see module doc).

        An extra property sharing a group with the n-th EMAIL/TEL/ADR/URL/IMPP moves
        to group item<n>; one in a group named item<n> that is not attached to the
        n-th value moves to a free item<m>, so writing cannot attach it wrongly.
        """
        order = [g for kind in _GROUPED for g in self.item_groups[kind]]
        attached: dict[str, str] = {}
        for n, group in enumerate(order, 1):
            if group:
                attached.setdefault(group.lower(), f"item{n}")
        reserved = {f"item{n}" for n in range(1, len(order) + 1)}
        used = reserved | {p.group.lower() for p in self.extra}
        moved: dict[str, str] = {}
        extras = []
        for prop in self.extra:
            extra = prop.to_extra()
            group = extra.group.lower()
            if group in attached:
                extra.group = attached[group]
            elif group in reserved:
                if group not in moved:
                    free = next(f"item{m}" for m in range(len(order) + 1, len(used) + 2) if f"item{m}" not in used)
                    used.add(free)
                    moved[group] = free
                extra.group = moved[group]
            extras.append(extra)
        return extras


def _read_text(slot: str) -> Callable[[_CardReader, _Property], bool]:
    def read(reader: _CardReader, prop: _Property) -> bool:
        if not reader.single(slot):
            return False
        setattr(reader.contact, slot, _text(prop.value))
        return True

    return read


def _read_list(slot: str) -> Callable[[_CardReader, _Property], bool]:
    def read(reader: _CardReader, prop: _Property) -> bool:
        getattr(reader.contact, slot).extend(v for v in _split(prop.value, ",") if v)
        return True

    return read


def _read_typed(slot: str, kind: str) -> Callable[[_CardReader, _Property], bool]:
    def read(reader: _CardReader, prop: _Property) -> bool:
        value = _text(prop.value)
        if kind == "TEL" and value[:4].lower() == "tel:" and any(v.lower() == "uri" for v in prop.param("VALUE")):
            value = value[4:]
        types, pref = _types(prop)
        getattr(reader.contact, slot).append(Typed(value=value, types=types, label=reader.label_of(prop), pref=pref))
        reader.item_groups[kind].append(prop.group)
        return True

    return read


def _read_name(reader: _CardReader, prop: _Property) -> bool:
    if not reader.single("name"):
        return False
    reader.contact.name = Name(*_padded(prop.value, 5))
    return True


def _read_org(reader: _CardReader, prop: _Property) -> bool:
    if not reader.single("organization"):
        return False
    parts = _split(prop.value, ";")
    reader.contact.organization = parts[0]
    reader.contact.org_units = [u for u in parts[1:] if u]
    return True


def _read_address(reader: _CardReader, prop: _Property) -> bool:
    po_box, extended, street, locality, region, postal_code, country = _padded(prop.value, 7)
    types, pref = _types(prop)
    reader.contact.addresses.append(
        Address(
            street=street,
            locality=locality,
            region=region,
            postal_code=postal_code,
            country=country,
            po_box=po_box,
            extended=extended,
            types=types,
            label=reader.label_of(prop),
            pref=pref,
        )
    )
    reader.item_groups["ADR"].append(prop.group)
    return True


def _read_date(slot: str) -> Callable[[_CardReader, _Property], bool]:
    def read(reader: _CardReader, prop: _Property) -> bool:
        value = _iso_date(prop)
        if value is None or not reader.single(slot):
            return False
        setattr(reader.contact, slot, value)
        return True

    return read


def _read_photo(reader: _CardReader, prop: _Property) -> bool:
    photo = _photo(prop)
    if photo is None:
        reader.notes.append(f"line {prop.line}: PHOTO data cannot be decoded, kept as an unknown property")
        return False
    if not reader.single("photo"):
        return False
    reader.contact.photo = photo
    return True


_READERS: dict[str, Callable[[_CardReader, _Property], bool]] = {
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


# -- reading: the public entry point ------------------------------------------


def read_vcards(data: bytes | str, source: str = "<input>") -> ReadResult:
    """Every good card in `data`, in file order; each bad card is reported and skipped.

    Problems read ``"<source>: card <n>: <reason>"`` (n counts BEGIN:VCARD lines from
    1), or ``"<source>: line <k>: ..."`` for text outside any card.  Never raises for
    malformed input.
    """
    _load_vobject()
    lines = list(_logical_lines(_to_bytes(data)))
    charset = _file_charset(lines)
    result = ReadResult()
    card: list[tuple[int, bytes]] | None = None
    number = 0
    for line_number, line in lines:
        keyword = line.strip().upper()
        if keyword == b"BEGIN:VCARD":
            if card is not None:
                result.problems.append(f"{source}: card {number}: BEGIN:VCARD without END:VCARD, skipped")
            number += 1
            card = []
        elif keyword == b"END:VCARD" and card is not None:
            _read_card(card, charset, f"{source}: card {number}", result)
            card = None
        elif card is None:
            result.problems.append(f"{source}: line {line_number}: text outside a card ignored: {_preview(line)}")
        else:
            card.append((line_number, line))
    if card is not None:
        result.problems.append(f"{source}: card {number}: BEGIN:VCARD without END:VCARD, skipped")
    return result


def _read_card(lines: list[tuple[int, bytes]], charset: str, where: str, result: ReadResult) -> None:
    try:
        props = [_parse_property(number, line, charset) for number, line in lines]
    except _BadCard as bad:
        result.problems.append(f"{where}: {bad}, card skipped")
        return
    reader = _CardReader(props)
    result.contacts.append(reader.read())
    result.problems.extend(f"{where}: {note}" for note in reader.notes)


# -- writing ------------------------------------------------------------------


def _escape_uri(value: str) -> str:
    """URI values are not text-escaped (RFC 6350 3.4); only what our reader unescapes."""
    return value.replace("\\", "\\\\").replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _param_value(value: str) -> str:
    """A parameter value, quoted when it holds ';' or ':' (a '"' cannot be held: RFC 6350 3.3)."""
    value = re.sub(r"[\r\n]+", " ", value.replace('"', "'"))
    return f'"{value}"' if ";" in value or ":" in value else value


def _line(name: str, value: str, params: Iterable[tuple[str, str]] = (), group: str = "") -> str:
    head = (group + "." if group else "") + name
    head += "".join(f";{key}={_param_value(val)}" for key, val in params)
    return f"{head}:{value}"


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 sequence.

    By hand: vobject's foldOneLine skips lines shorter than 75 characters, so a line
    of multi-byte characters can stay longer than 75 octets.
    """
    out: list[str] = []
    width = 0
    for ch in line:
        size = len(ch.encode("utf-8", errors="surrogatepass"))
        if width + size > FOLD_OCTETS:
            out.append("\r\n ")
            width = 1
        out.append(ch)
        width += size
    return "".join(out)


def _type_params(item: Typed | Address, v4: bool) -> list[tuple[str, str]]:
    types = list(item.types)
    if item.pref and not v4:
        types.append("pref")
    params = [("TYPE", ",".join(types))] if types else []
    if item.pref and v4:
        params.append(("PREF", "1"))
    return params


def _label_text(label: str) -> str:
    return f"_$!<{label}>!$_" if label in _APPLE_LABELS else label


def _grouped_lines(contact: Contact, v4: bool) -> list[str]:
    """EMAIL, TEL, ADR, URL, IMPP lines; labelled ones with their X-ABLabel."""
    extra_groups = {e.group.lower() for e in contact.extra if e.group}
    items: list[tuple[str, Typed | Address, str]] = []
    items += [("EMAIL", e, backslashEscape(e.value)) for e in contact.emails]
    items += [("TEL", p, backslashEscape(p.value)) for p in contact.phones]
    items += [("ADR", a, _address_value(a)) for a in contact.addresses]
    items += [("URL", u, _escape_uri(u.value)) for u in contact.urls]
    items += [("IMPP", i, _escape_uri(i.value)) for i in contact.ims]
    lines = []
    for n, (name, item, value) in enumerate(items, 1):
        group = f"item{n}" if item.label or f"item{n}" in extra_groups else ""
        lines.append(_line(name, value, _type_params(item, v4), group))
        if item.label:
            lines.append(_line("X-ABLabel", backslashEscape(_label_text(item.label)), group=group))
    return lines


def _address_value(a: Address) -> str:
    parts = (a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country)
    return ";".join(backslashEscape(p) for p in parts)


def _date_value(value: str, v4: bool) -> str:
    """ISO YYYY-MM-DD / --MM-DD; 4.0 wants the basic forms YYYYMMDD / --MMDD."""
    if not v4:
        return value
    return "--" + value[2:].replace("-", "") if value.startswith("--") else value.replace("-", "")


def _photo_line(photo: Photo, v4: bool) -> str:
    if photo.data or not photo.uri:
        encoded = base64.b64encode(photo.data).decode("ascii")
        if v4:
            return _line("PHOTO", f"data:{photo.media_type};base64,{encoded}")
        kind = photo.media_type
        kind = kind[6:].upper() if kind.startswith("image/") else kind
        return _line("PHOTO", encoded, [("ENCODING", "b")] + ([("TYPE", kind)] if kind else []))
    if v4:
        return _line("PHOTO", _escape_uri(photo.uri), [("MEDIATYPE", photo.media_type)] if photo.media_type else [])
    kind = photo.media_type
    kind = kind[6:].upper() if kind.startswith("image/") else kind
    return _line("PHOTO", _escape_uri(photo.uri), [("VALUE", "uri")] + ([("TYPE", kind)] if kind else []))


def to_vcard(contact: Contact, version: str = "3.0") -> str:
    """One card: CRLF line endings, folded at 75 octets; always with UID, FN and N."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version {version!r} cannot be written; use one of {', '.join(VERSIONS)}")
    _load_vobject()
    v4 = version == "4.0"
    c = contact
    n = c.name
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"PRODID:{PRODID}",
        _line("UID", backslashEscape(c.uid or str(uuid.uuid4()))),
        _line("FN", backslashEscape(c.best_name())),
        _line("N", ";".join(backslashEscape(p) for p in (n.family, n.given, n.additional, n.prefix, n.suffix))),
    ]
    if c.nicknames:
        lines.append(_line("NICKNAME", ",".join(backslashEscape(x) for x in c.nicknames)))
    if c.organization or c.org_units:
        lines.append(_line("ORG", ";".join(backslashEscape(x) for x in [c.organization, *c.org_units])))
    for name, value in (("TITLE", c.title), ("ROLE", c.role)):
        if value:
            lines.append(_line(name, backslashEscape(value)))
    lines += _grouped_lines(c, v4)
    if c.birthday:
        lines.append(_line("BDAY", _date_value(c.birthday, v4)))
    if c.anniversary:
        lines.append(_line("ANNIVERSARY" if v4 else "X-ANNIVERSARY", _date_value(c.anniversary, v4)))
    if c.note:
        lines.append(_line("NOTE", backslashEscape(c.note)))
    if c.categories:
        lines.append(_line("CATEGORIES", ",".join(backslashEscape(x) for x in c.categories)))
    if c.photo is not None and (c.photo.data or c.photo.uri):
        lines.append(_photo_line(c.photo, v4))
    # Raw values are one unfolded line; a line break would end the property early.
    lines += [_line(e.name, re.sub(r"\r\n|\r|\n", r"\\n", e.value), e.params, e.group) for e in c.extra]
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def to_vcards(contacts: Iterable[Contact], version: str = "3.0") -> str:
    """Several cards, one after the other."""
    return "".join(to_vcard(c, version) for c in contacts)
