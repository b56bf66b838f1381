"""One vCard content line -> a property; text values; what reading and writing share.

By hand, not vobject's `parseLine`: its grammar refuses Samsung's vCard 2.1
``TEL;X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=4D=79):...`` (the whole card
was lost), rewrites ``_`` in names to ``-`` (``X-WAB-SPOUSE_NAME`` came back as
``X-WAB-SPOUSE-NAME``) and keeps no parameter order. Quoted-printable and CHARSET
are decoded here, in ONE place (see `parse_property`).
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field

from contacthub.model import Contact, ExtraProperty

FALLBACK_CHARSET = "windows-1252"

# Apple's built-in labels, written as _$!<Name>!$_ (anything else is a custom label).
APPLE_LABELS = frozenset(
    ("Home", "Work", "Other", "Main", "Mobile", "iPhone", "HomeFAX", "WorkFAX", "OtherFAX", "Pager", "HomePage")
    + ("School", "Anniversary", "Father", "Mother", "Parent", "Brother", "Sister", "Child", "Friend", "Spouse")
    + ("Partner", "Assistant", "Manager")
)
APPLE_LABEL_RE = re.compile(r"_\$!<(.*)>!\$_", re.DOTALL)
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\\": "\\", ",": ",", ";": ";", "n": "\n", "N": "\n", ":": ":"}
_TRANSFER = ("QUOTED-PRINTABLE", "7BIT", "8BIT")


class BadCard(Exception):
    """A card that cannot be read; the message names the line and why."""


@dataclass
class Property:
    """One content line, value still escaped (vCard 3.0/4.0 text rules)."""

    name: str  # as written
    group: str
    params: list[tuple[str, str]]  # values as written, quotes included (written back so)
    value: str
    line: int
    custom_label: str = ""  # Samsung's X-CUSTOM(...) label, decoded
    used: set[str] = field(default_factory=set)  # parameter names the model maps (not kept verbatim)
    key: str = field(init=False)  # the name in upper case

    def __post_init__(self) -> None:
        self.key = self.name.upper()

    def param(self, name: str) -> list[str]:
        """All values of parameter `name`, comma lists split, unquoted; the parameter counts as mapped."""
        self.used.add(name)
        return [v.replace('"', "") for k, vs in self.params if k.upper() == name for v in vs.split(",")]

    def take_custom_label(self) -> str:
        """Samsung's label, its X-CUSTOM(...) parameter then mapped (not kept verbatim)."""
        self.used.update(k.upper() for k, v in self.params if not v and k.upper().startswith("X-CUSTOM("))
        return self.custom_label

    def unmapped(self) -> list[tuple[str, str]]:
        """The parameters no `param()` call asked for, in order, as read."""
        return [(k, v) for k, v in self.params if k.upper() not in self.used]

    def to_extra(self) -> ExtraProperty:
        return ExtraProperty(name=self.name, value=self.value, params=list(self.params), group=self.group)


def decode(data: bytes, charset: str) -> str:
    """Bytes in `charset`; undecodable bytes fall back to windows-1252."""
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode(FALLBACK_CHARSET, errors="replace")


def preview(raw: bytes) -> str:
    text = raw[:200].decode("utf-8", errors="replace")
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _split_header(header: str) -> list[str]:
    """Split on ';' outside double quotes and parentheses (Samsung's X-CUSTOM(...))."""
    if '"' not in header and "(" not in header:
        return header.split(";")
    parts, current, quoted, depth = [], [], False, 0
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")" and depth:
            depth -= 1
        elif ch == ";" and not quoted and not depth:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _header_end(raw: bytes) -> int:
    """Index of the ':' that ends name and parameters (one inside quotes or parentheses does not)."""
    colon = raw.find(b":")
    if colon >= 0 and b'"' not in raw[:colon] and b"(" not in raw[:colon]:
        return colon
    quoted, depth = False, 0
    for i, byte in enumerate(raw):
        if byte == 0x22:
            quoted = not quoted
        elif quoted:
            continue
        elif byte == 0x28:
            depth += 1
        elif byte == 0x29 and depth:
            depth -= 1
        elif byte == 0x3A and not depth:
            return i
    return -1


def _custom_label(inner: str) -> str:
    """Samsung's ``X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=4D=79)``: the label, decoded."""
    items = inner.split(",")
    settings = dict(i.split("=", 1) for i in items if re.fullmatch(r"[A-Za-z-]+=[^,]*", i))
    label = ",".join(i for i in items if not re.fullmatch(r"(?i)(CHARSET|ENCODING)=[^,]*", i))
    if settings.get("ENCODING", settings.get("encoding", "")).upper() == "QUOTED-PRINTABLE":
        charset = settings.get("CHARSET", settings.get("charset", "utf-8"))
        return decode(quopri.decodestring(label.encode("latin-1", errors="replace")), charset)
    return label


def _bare_param(value: str) -> tuple[str, str] | None:
    """A 2.1 parameter given by value alone, named; None when it only described the transfer."""
    upper = value.upper()
    if upper in _TRANSFER:
        return None
    if upper == "BASE64":
        return ("ENCODING", "b")
    return ("TYPE", value)


def parse_property(number: int, raw: bytes, charset: str) -> Property:
    if b"\0" in raw:
        raise BadCard(f"line {number}: a NUL byte")
    if b"\r" in raw:
        raise BadCard(f"line {number}: a bare CR (carriage return) inside a line")
    colon = _header_end(raw)
    if colon < 0:
        raise BadCard(f"line {number}: no ':' after the property name: {preview(raw)}")
    head, *segments = _split_header(decode(raw[:colon], charset))
    group, _, name = head.rpartition(".")
    if not _TOKEN.fullmatch(name) or (group and not _TOKEN.fullmatch(group)):
        raise BadCard(f"line {number}: not a property: {preview(raw)}")

    params: list[tuple[str, str]] = []
    quoted_printable, custom = False, ""
    for segment in segments:
        key, eq, value = segment.partition("=")
        if "(" in key and segment.endswith(")") and key.split("(", 1)[0].upper() == "X-CUSTOM":
            # Kept whole, as a parameter without value: a property that takes no label
            # (an unknown one) writes it back as read; a labelled value consumes it.
            custom = _custom_label(segment[segment.index("(") + 1 : -1])
            params.append((segment, ""))
            continue
        if not eq:
            if segment.upper() == "QUOTED-PRINTABLE":
                quoted_printable = True
            named = _bare_param(segment) if segment else None
        elif key.upper() == "ENCODING" and value.upper() in _TRANSFER:
            quoted_printable = quoted_printable or value.upper() == "QUOTED-PRINTABLE"
            named = None
        elif not _TOKEN.fullmatch(key):
            raise BadCard(f"line {number}: not a property: {preview(raw)}")
        else:
            named = (key, value)
        if named is not None:
            params.append(named)
    declared = [v for k, v in params if k.upper() == "CHARSET"]
    params = [p for p in params if p[0].upper() != "CHARSET"]

    # The one place that handles vCard 2.1 QUOTED-PRINTABLE: the value is decoded on
    # bytes, then in its CHARSET (else the card's charset); decoded line breaks are
    # written as the 3.0 escape "\n" so the value reads like any other.
    value_bytes = raw[colon + 1 :]
    if quoted_printable:
        value_bytes = quopri.decodestring(value_bytes)
    value = decode(value_bytes, declared[0] if declared else charset)
    if quoted_printable:
        value = re.sub(r"\r\n|\r|\n", r"\\n", value)
    return Property(name=name, group=group, params=params, value=value, line=number, custom_label=custom)


# -- text values ------------------------------------------------------------------


def split(raw: str, sep: str | None) -> list[str]:
    """Split on unescaped `sep` and unescape each part.

    By hand: vobject's stringToTextValues turns a trailing backslash into the text
    "\\eof".  Unknown escapes keep their backslash; "\\:" (Apple and Google write
    "http\\://") is unescaped.
    """
    if "\\" not in raw:
        return raw.split(sep) if sep else [raw]
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


def text(raw: str) -> str:
    return split(raw, None)[0]


def padded(raw: str, count: int) -> list[str]:
    parts = split(raw, ";")
    return (parts + [""] * count)[:count]


def apple_label(raw: str) -> str:
    value = text(raw)
    match = APPLE_LABEL_RE.fullmatch(value)
    return match.group(1) if match else value


def with_groups(contact: Contact) -> Contact:
    """The contact with a group for each labelled EMAIL/TEL/ADR/URL/IMPP that has none.

    Groups read are kept as they are (Apple's and Google's ``itemN`` are never
    renumbered); a new label gets the first ``itemN`` no property uses.
    """
    items = [*contact.emails, *contact.phones, *contact.addresses, *contact.urls, *contact.ims]
    if all(i.group or not i.label for i in items):
        return contact
    contact = contact.copy()
    items = [*contact.emails, *contact.phones, *contact.addresses, *contact.urls, *contact.ims]
    used = {i.group.lower() for i in items} | {e.group.lower() for e in contact.extra}
    used |= {g.lower() for g in contact.groups.values()}
    n = 0
    for item in items:
        if item.label and not item.group:
            n += 1
            while f"item{n}" in used:
                n += 1
            item.group = f"item{n}"
    return contact
