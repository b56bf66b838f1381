"""`Contact` -> vCard 3.0 / 4.0 text (see `contacthub.vcard` for the decisions).

By hand, not vobject's serializer: it sorts properties and parameters, drops 2.1
bare parameters, never folds PHOTO, and its `foldOneLine` leaves a line of fewer
than 75 *characters* unfolded even when it is longer than 75 octets. vobject's
`backslashEscape` escapes text values.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable

from contacthub.model import Address, Contact, Typed
from contacthub.vcard_props import APPLE_LABELS, with_groups

PRODID = "-//contacthub//contacthub vCard//EN"
VERSIONS = ("3.0", "4.0")
FOLD_OCTETS = 75
_BREAK = re.compile(r"\r\n|\r|\n")

# vobject's escaping, imported when the first card is written, not with this module:
# a sync pass that finds no change imports this module (through its connector) but
# writes no card.
backslashEscape = None


def _load_vobject() -> None:
    global backslashEscape
    if backslashEscape is None:
        from vobject.base import backslashEscape  # noqa: F811


def _escape_uri(value: str) -> str:
    """URI values are not text-escaped (RFC 6350 3.4); only what our reader unescapes."""
    return value.replace("\\", "\\\\").replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _param_value(value: str) -> str:
    """A parameter value as read (quotes included), or quoted when it holds ';' or ':'.

    A '"' cannot be held inside a value (RFC 6350 3.3), nor a line break or NUL.
    """
    value = re.sub(r"[\r\n]+", " ", value).replace("\0", "")
    if re.fullmatch(r'"[^"]*"(,"[^"]*"|,[^";:,]*)*|[^";:,]*(,"[^"]*"|,[^";:,]*)*', value):
        return value  # as written: plain, quoted, or a list of such
    value = value.replace('"', "'")
    return f'"{value}"' if ";" in value or ":" in value else value


def _line(name: str, value: str, params: Iterable[tuple[str, str]] = (), group: str = "") -> str:
    head = (group + "." if group else "") + name
    # A parameter without value is Samsung's X-CUSTOM(...) kept whole.
    head += "".join(f";{key}={_param_value(val)}" if val or "(" not in key else f";{key}" for key, val in params)
    # No value may carry a line break or NUL: a break would start a new property.
    value = _BREAK.sub(r"\\n", value).replace("\0", "")
    return f"{head}:{value}"


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 sequence.

    By hand: vobject's foldOneLine skips lines shorter than 75 characters, so a line
    of multi-byte characters can stay longer than 75 octets.
    """
    if len(line) <= FOLD_OCTETS and (line.isascii() or len(line.encode("utf-8", errors="surrogatepass")) <= FOLD_OCTETS):
        return line  # most lines: nothing to fold (this saved a first sync a tenth of its time)
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
    kept = [p for p in item.params if not (item.pref and p[0].upper() == "PREF")]
    return params + kept


def _label_text(label: str) -> str:
    return f"_$!<{label}>!$_" if label in APPLE_LABELS else label


def _grouped_lines(contact: Contact, v4: bool) -> list[str]:
    """EMAIL, TEL, ADR, URL, IMPP lines; labelled ones with their X-ABLabel (once per group)."""
    items: list[tuple[str, Typed | Address, str]] = []
    items += [("EMAIL", e, backslashEscape(e.value)) for e in contact.emails]
    items += [("TEL", p, backslashEscape(p.value)) for p in contact.phones]
    items += [("ADR", a, _address_value(a)) for a in contact.addresses]
    items += [("URL", u, _escape_uri(u.value)) for u in contact.urls]
    items += [("IMPP", i, _escape_uri(i.value)) for i in contact.ims]
    lines = []
    labelled: set[str] = set()
    for name, item, value in items:
        lines.append(_line(name, value, _type_params(item, v4), item.group))
        if item.label and item.group.lower() not in labelled:
            labelled.add(item.group.lower())
            lines.append(_line("X-ABLabel", backslashEscape(_label_text(item.label)), group=item.group))
    return lines


def _address_value(a: Address) -> str:
    parts = (a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country)
    return ";".join(backslashEscape(p) for p in parts)


def _date_value(value: str, v4: bool, params: list[tuple[str, str]]) -> str:
    """The model's ISO date as written: 4.0 wants the basic forms (YYYYMMDD, --MMDD).

    Apple's ``X-APPLE-OMIT-YEAR=1604`` with --MM-DD is written back as Apple wrote it.
    """
    omitted = [v for k, v in params if k.upper() == "X-APPLE-OMIT-YEAR"]
    if omitted and re.fullmatch(r"--\d\d-\d\d", value) and re.fullmatch(r"\d{4}", omitted[0]):
        value = omitted[0] + value[1:]
    if not v4 or re.fullmatch(r"\d{4}(-\d\d)?|--\d\d|---\d\d", value):
        return value  # reduced accuracy keeps its dashes (RFC 6350 4.3.1: YYYY-MM, --MM, ---DD)
    return "--" + value[2:].replace("-", "") if value.startswith("--") else value.replace("-", "")


def _photo_line(contact: Contact, v4: bool) -> str:
    photo = contact.photo
    kept = contact.params.get("PHOTO", [])
    group = contact.groups.get("PHOTO", "")
    kind = photo.media_type
    kind = kind[6:].upper() if kind.startswith("image/") else kind
    if photo.data or not photo.uri:
        encoded = base64.b64encode(photo.data).decode("ascii")
        if v4:
            media = photo.media_type or "application/octet-stream"
            return _line("PHOTO", f"data:{media};base64,{encoded}", kept, group)
        return _line("PHOTO", encoded, [("ENCODING", "b")] + ([("TYPE", kind)] if kind else []) + kept, group)
    if v4:
        media = [("MEDIATYPE", photo.media_type)] if photo.media_type else []
        return _line("PHOTO", _escape_uri(photo.uri), media + kept, group)
    return _line("PHOTO", _escape_uri(photo.uri), [("VALUE", "uri")] + ([("TYPE", kind)] if kind else []) + kept, group)


def to_vcard(contact: Contact, version: str = "3.0") -> str:
    """One card: CRLF line endings, folded at 75 octets; always with UID, FN and N."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version {version!r} cannot be written; use one of {', '.join(VERSIONS)}")
    _load_vobject()
    v4 = version == "4.0"
    c = with_groups(contact)
    n = c.name

    def single(name: str, value: str) -> str:
        return _line(name, value, c.params.get(name, []), c.groups.get(name, ""))

    parts = [n.family, n.given, n.additional, n.prefix, n.suffix]
    if n.secondary_family or n.generation:
        parts += [n.secondary_family, n.generation]
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"PRODID:{PRODID}",
        single("UID", backslashEscape(c.uid or str(uuid.uuid4()))),
        single("FN", backslashEscape(c.best_name())),
        single("N", ";".join(backslashEscape(p) for p in parts)),
    ]
    if c.nicknames:
        lines.append(single("NICKNAME", ",".join(backslashEscape(x) for x in c.nicknames)))
    if c.organization or c.org_units:
        lines.append(single("ORG", ";".join(backslashEscape(x) for x in [c.organization, *c.org_units])))
    for name, value in (("TITLE", c.title), ("ROLE", c.role)):
        if value:
            lines.append(single(name, backslashEscape(value)))
    lines += _grouped_lines(c, v4)
    if c.birthday:
        lines.append(single("BDAY", _date_value(c.birthday, v4, c.params.get("BDAY", []))))
    if c.anniversary:
        name = "ANNIVERSARY" if v4 else "X-ANNIVERSARY"
        kept = c.params.get("ANNIVERSARY", [])
        lines.append(_line(name, _date_value(c.anniversary, v4, kept), kept, c.groups.get("ANNIVERSARY", "")))
    if c.note:
        lines.append(single("NOTE", backslashEscape(c.note)))
    if c.categories:
        lines.append(single("CATEGORIES", ",".join(backslashEscape(x) for x in c.categories)))
    if c.photo is not None and (c.photo.data or c.photo.uri):
        lines.append(_photo_line(c, v4))
    # Raw values are one unfolded line (`_line` escapes any line break).
    lines += [_line(e.name, e.value, e.params, e.group) for e in c.extra]
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def to_vcards(contacts: Iterable[Contact], version: str = "3.0") -> str:
    """Several cards, one after the other."""
    return "".join(to_vcard(c, version) for c in contacts)
