"""Outlook and Google contacts CSV -> `Contact` (the layouts: csv_layouts.py; writing: csv_write.py).

Reading detects the encoding (a BOM; UTF-16 without one by its NUL bytes;
else UTF-8 when the bytes are valid UTF-8, else Windows-1252, what older
Outlook versions write) and the layout from the header. Columns contacthub
does not model are kept as `X-CSV-<COLUMN>` properties, so writing the same
layout again puts them back. Parsing is Python's csv module; the mapping of
columns to fields is ours (no library knows these layouts).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import BinaryIO

from contacthub.csv_layouts import (
    GOOGLE_ADDRESS_PARTS,
    GOOGLE_ALIASES,
    GOOGLE_MULTI,
    GOOGLE_OWN_GROUP,
    GOOGLE_TYPES,
    OUTLOOK_ADDRESSES,
    OUTLOOK_DEFAULTS,
    OUTLOOK_EMAILS,
    OUTLOOK_LABELLED_PHONES,
    OUTLOOK_NO_DATE,
    OUTLOOK_PHONES,
)
from contacthub.model import Address, Contact, ExtraProperty, Name, Typed
from contacthub.vcard import ReadResult

LAYOUTS = ("outlook", "google")
EXTRA_PREFIX = "X-CSV-"
_NUMBERED = re.compile(r"^(E-mail|Phone|Address|Website|Organization|IM|Relation|Event|Custom Field) \d+ - ")
_GOOGLE_GROUP = re.compile(r"^(E-mail|Phone|Website|Relation|Event|Custom Field) (\d+) - (Type|Label|Value)$")


# -- encoding and layout --------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text, its encoding detected, not guessed (see module doc)."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    head = data[:4096]
    if len(head) >= 4 and head.count(0) > len(head) // 4:  # UTF-16 without BOM: every other byte of ASCII is NUL
        codec = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1252", errors="replace")


def layout_of(header: list[str]) -> str | None:
    columns = set(header)
    if "Given Name" in columns or "Group Membership" in columns or "Labels" in columns or any(_NUMBERED.match(c) for c in header):
        return "google"
    if "E-mail Address" in columns or {"First Name", "Last Name"} <= columns:
        return "outlook"
    return None


def looks_like_csv(data: bytes) -> bool:
    """A file without .csv name that is an Outlook or Google contacts CSV (not a vCard)."""
    text = decode(data[:8192]).lstrip()
    if text[:11].upper() == "BEGIN:VCARD":
        return False
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    return layout_of([c.strip() for c in first]) is not None


# -- reading ----------------------------------------------------------------------------


def read_csv(data: bytes, source: str = "<input>") -> ReadResult:
    """Every contact row of an Outlook or Google CSV; a row that is no contact is one problem line."""
    stream = CsvStream(io.BytesIO(data), source)
    result = ReadResult()
    result.contacts = list(stream)
    result.problems = stream.problems
    return result


class CsvStream:
    """The contacts of one CSV file, read row by row (memory stays flat on big files).

    `problems` holds one line per row that is no contact, or one for a file that
    is no contacts CSV; filled as the rows are read.
    """

    def __init__(self, handle: BinaryIO, source: str = "<input>") -> None:
        self.handle = handle
        self.source = source
        self.problems: list[str] = []

    def __iter__(self) -> Iterator[Contact]:
        codec, skip = _codec(self.handle)
        self.handle.seek(skip)
        text = io.TextIOWrapper(self.handle, encoding=codec, errors="replace", newline="")
        try:
            yield from self._contacts(csv.reader(text))
        finally:
            text.detach()  # the caller's file stays open: it closes it

    def _contacts(self, rows) -> Iterator[Contact]:
        header = [c.strip() for c in next(rows, [])]
        layout = layout_of(header)
        if layout is None:
            shown = ", ".join(header[:4]) + (", ..." if len(header) > 4 else "")
            self.problems.append(f"{self.source}: not an Outlook or Google contacts CSV (header: {shown or 'empty'})")
            return
        if layout == "google":
            header = [_google_column(c) for c in header]
        to_contact = _outlook_contact if layout == "outlook" else _google_contact
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            cells = {col: (row[i].strip() if i < len(row) else "") for i, col in enumerate(header) if col}
            contact = to_contact(cells)
            if not (contact.best_name() or contact.phones):
                self.problems.append(f"{self.source}: line {rows.line_num}: no name, company, e-mail or phone, row skipped")
                continue
            yield contact


def _codec(handle: BinaryIO) -> tuple[str, int]:
    """The encoding `decode` would choose for the whole file, and the BOM's length; read in chunks."""
    head = handle.read(4096)
    handle.seek(0)
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return codec, len(bom)
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        return ("utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"), 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "windows-1252", 0
    finally:
        handle.seek(0)
    return "utf-8", 0


def _google_column(column: str) -> str:
    column = GOOGLE_ALIASES.get(column, column)
    return column[: -len("Label")] + "Type" if _NUMBERED.match(column) and column.endswith(" - Label") else column


def _escape(value: str) -> str:
    """vCard text escaping, for values kept as X-CSV- properties (their value is stored escaped)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def slug(column: str) -> str:
    return EXTRA_PREFIX + re.sub(r"[^A-Za-z0-9]+", "-", column).strip("-").upper()


def _keep_rest(contact: Contact, cells: dict[str, str], used: set[str]) -> None:
    for column, value in cells.items():
        if value and column not in used and OUTLOOK_DEFAULTS.get(column) != value:
            # X-COLUMN names the column, so a Google export can write a column its fixed part lacks.
            contact.extra.append(ExtraProperty(name=slug(column), value=_escape(value), params=[("X-COLUMN", column)]))


def _date(text: str) -> str | None:
    """ISO, US "4/15/1970" (Outlook's en-US export), "15.04.1970", or Google's "--04-15"; None if none of them."""
    text = text.strip()
    if not text or text in OUTLOOK_NO_DATE:
        return ""
    if re.fullmatch(r"--\d{2}-\d{2}", text):
        return text
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            month, day, year = int(m[1]), int(m[2]), int(m[3])
            if month > 12:  # day first (en-GB style)
                month, day = day, month
            return date(year, month, day).isoformat()
        if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:
        return None
    return None


def _dates(contact: Contact, cells: dict[str, str], pairs: Iterable[tuple[str, str]], used: set[str]) -> None:
    for column, attr in pairs:
        value = _date(cells.get(column, ""))
        if value is not None:  # an unreadable date stays an X-CSV- property
            setattr(contact, attr, value)
            used.add(column)


def _outlook_contact(cells: dict[str, str]) -> Contact:
    get = cells.get
    used = {"E-mail Display Name", "E-mail 2 Display Name", "E-mail 3 Display Name"}  # Outlook derives them
    contact = Contact(uid=_new_uid())
    contact.name = Name(family=get("Last Name", ""), given=get("First Name", ""), additional=get("Middle Name", ""), prefix=get("Title", ""), suffix=get("Suffix", ""))
    contact.organization = get("Company", "")
    contact.org_units = [u for u in get("Department", "").split("; ") if u]
    contact.title = get("Job Title", "")
    contact.role = get("Profession", "")
    contact.note = get("Notes", "").replace("\r\n", "\n")
    contact.categories = [c.strip() for c in get("Categories", "").split(";") if c.strip()]
    if get("Web Page"):
        contact.urls.append(Typed(get("Web Page", "")))
    used |= {"Last Name", "First Name", "Middle Name", "Title", "Suffix", "Company", "Department", "Job Title", "Profession", "Notes", "Categories", "Web Page"}
    for value_col, type_col in OUTLOOK_EMAILS:
        value = get(value_col, "")
        if value and (get(type_col, "SMTP") or "SMTP").upper() == "SMTP":
            contact.emails.append(Typed(value))
            used |= {value_col, type_col}
        elif not value:
            used |= {value_col, type_col}
    for column, types in OUTLOOK_PHONES:
        if get(column):
            label = column if column in OUTLOOK_LABELLED_PHONES else ""
            contact.phones.append(Typed(get(column, ""), list(types), label=label, pref=column == "Primary Phone"))
        used.add(column)
    for prefix, kind, po_box in OUTLOOK_ADDRESSES:
        street = "\n".join(s for s in (get(f"{prefix} Street"), get(f"{prefix} Street 2"), get(f"{prefix} Street 3")) if s)
        parts = dict(street=street, locality=get(f"{prefix} City", ""), region=get(f"{prefix} State", ""), postal_code=get(f"{prefix} Postal Code", ""), country=get(f"{prefix} Country/Region", ""), po_box=get(po_box, ""))
        if any(parts.values()):
            contact.addresses.append(Address(**parts, types=[kind]))
        used |= {f"{prefix} Street", f"{prefix} Street 2", f"{prefix} Street 3", f"{prefix} City", f"{prefix} State", f"{prefix} Postal Code", f"{prefix} Country/Region", po_box}
    _dates(contact, cells, (("Birthday", "birthday"), ("Anniversary", "anniversary")), used)
    _keep_rest(contact, cells, used)
    return contact


def _google_types(text: str) -> tuple[list[str], str, bool]:
    """Google's "* Work" -> (["work"], "", True); a custom type becomes the label."""
    pref = text.startswith("* ")
    name = text[2:].strip() if pref else text.strip()
    types = GOOGLE_TYPES.get(name.casefold())
    return (list(types), "", pref) if types is not None else ([], name, pref)


def _google_contact(cells: dict[str, str]) -> Contact:
    get = cells.get
    contact = Contact(uid=_new_uid())
    contact.display_name = get("Name", "")
    contact.name = Name(family=get("Family Name", ""), given=get("Given Name", ""), additional=get("Additional Name", ""), prefix=get("Name Prefix", ""), suffix=get("Name Suffix", ""))
    contact.nicknames = [n for n in get("Nickname", "").split(GOOGLE_MULTI) if n]
    contact.note = get("Notes", "").replace("\r\n", "\n")
    groups = [g.strip() for g in get("Group Membership", "").split(GOOGLE_MULTI) if g.strip()]
    contact.categories = [g.removeprefix("* ") for g in groups if g != GOOGLE_OWN_GROUP]
    used = {"Name", "Family Name", "Given Name", "Additional Name", "Name Prefix", "Name Suffix", "Nickname", "Notes", "Group Membership"}
    _dates(contact, cells, (("Birthday", "birthday"),), used)
    contact.organization = get("Organization 1 - Name", "")
    contact.title = get("Organization 1 - Title", "")
    contact.org_units = [u for u in get("Organization 1 - Department", "").split(GOOGLE_MULTI) if u]
    used |= {"Organization 1 - Name", "Organization 1 - Title", "Organization 1 - Department", "Organization 1 - Type"}
    slots = {"E-mail": contact.emails, "Phone": contact.phones, "Website": contact.urls}
    for column in cells:
        m = _GOOGLE_GROUP.match(column)
        if not m or m[1] not in slots or m[3] != "Value":
            continue
        type_column = f"{m[1]} {m[2]} - Type"
        types, label, pref = _google_types(get(type_column, ""))
        for value in get(column, "").split(GOOGLE_MULTI):
            if value.strip():
                slots[m[1]].append(Typed(value.strip(), list(types), label, pref))
        used |= {column, type_column}
    n = 1
    while f"Address {n} - Type" in cells or f"Address {n} - Street" in cells:
        parts = {attr: get(f"Address {n} - {part}", "") for part, attr in GOOGLE_ADDRESS_PARTS if attr}
        formatted = get(f"Address {n} - Formatted", "")
        if not any(parts.values()) and formatted:
            parts["street"] = formatted  # only the formatted text: kept whole
        if any(parts.values()):
            types, label, pref = _google_types(get(f"Address {n} - Type", ""))
            contact.addresses.append(Address(**parts, types=types, label=label, pref=pref))
        used |= {f"Address {n} - Type"} | {f"Address {n} - {part}" for part, _ in GOOGLE_ADDRESS_PARTS}
        n += 1
    _keep_rest(contact, cells, used)
    return contact


def _new_uid() -> str:
    import uuid

    return str(uuid.uuid4())
