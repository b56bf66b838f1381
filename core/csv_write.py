"""Records -> Outlook or Google contacts CSV (the layouts: csv_layouts.py; reading: csv_io.py).

Outlook's layout has fixed columns (three e-mails, one phone per kind, three
addresses): what does not fit is named in a warning line. `X-CSV-<COLUMN>`
properties an import kept go back to their column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

from contacthub.csv_io import EXTRA_PREFIX, LAYOUTS, slug, unescape
from contacthub.csv_layouts import (
    GOOGLE_ADDRESS_PARTS,
    GOOGLE_HEADER_START,
    GOOGLE_MULTI,
    GOOGLE_ORG_PARTS,
    GOOGLE_OWN_GROUP,
    GOOGLE_TYPES,
    OUTLOOK_ADDRESSES,
    OUTLOOK_EMAILS,
    OUTLOOK_HEADER,
    OUTLOOK_LABELLED_PHONES,
    OUTLOOK_PHONES,
)
from contacthub.model import Address, Contact, Typed


def write_csv(contacts: Iterable[Contact], layout: str = "outlook") -> tuple[bytes, list[str]]:
    """The CSV file's bytes in `layout`, and one line per value the layout had no column for."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    contacts = list(contacts)
    warnings: list[str] = []
    if layout == "outlook":
        header = list(OUTLOOK_HEADER)
        rows = [_outlook_row(c, warnings) for c in contacts]
        encoding = "utf-8-sig"  # Outlook reads UTF-8 only with its BOM
    else:
        header = _google_header(contacts)
        rows = [_google_row(c) for c in contacts]
        encoding = "utf-8"
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding), warnings


def _kept_columns(contact: Contact, header: Iterable[str]) -> dict[str, str]:
    """X-CSV- properties back to the columns they came from."""
    by_slug = {slug(c): c for c in header}
    return {by_slug[e.name.upper()]: unescape(e.value) for e in contact.extra if e.name.upper() in by_slug}


def _us_date(iso: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
        d = date.fromisoformat(iso)
        return f"{d.month}/{d.day}/{d.year}"
    return ""


def _outlook_row(c: Contact, warnings: list[str]) -> dict[str, str]:
    row = _kept_columns(c, OUTLOOK_HEADER)
    row |= {
        "Title": c.name.prefix, "First Name": c.name.given, "Middle Name": c.name.additional,
        "Last Name": c.name.family, "Suffix": c.name.suffix, "Company": c.organization,
        "Department": "; ".join(c.org_units), "Job Title": c.title, "Profession": c.role,
        "Notes": c.note.replace("\n", "\r\n"), "Categories": ";".join(c.categories),
        "Web Page": c.urls[0].value if c.urls else "",
    }  # fmt: skip
    if not (c.name.given or c.name.family) and c.display_name and not c.organization:
        row["First Name"] = c.display_name  # Outlook has no display-name column: the name goes somewhere
    for birthday_attr, column in (("birthday", "Birthday"), ("anniversary", "Anniversary")):
        row[column] = _us_date(getattr(c, birthday_attr))
    name = c.best_name()
    for (value_col, type_col), email in zip(OUTLOOK_EMAILS, c.emails, strict=False):
        row[value_col], row[type_col] = email.value, "SMTP"
        row[value_col.replace("Address", "Display Name")] = f"{name} ({email.value})" if name else email.value
    free = [col for col, _ in OUTLOOK_PHONES]
    for phone in c.phones:
        column = _outlook_phone_column(phone, free)
        if column is None:
            warnings.append(f"{name}: phone {phone.value}: no Outlook column left, not written")
            continue
        free.remove(column)
        row[column] = phone.value
    done = set()
    for address in c.addresses:
        slot = next((s for s in OUTLOOK_ADDRESSES if s[1] in address.types and s[0] not in done), None)
        slot = slot or next((s for s in OUTLOOK_ADDRESSES if s[0] not in done), None)
        if slot is None:
            warnings.append(f"{name}: a fourth address has no Outlook column, not written")
            continue
        prefix, _kind, po_box = slot
        done.add(prefix)
        streets = (address.street.split("\n") + ["", ""])[:3] if address.street.count("\n") < 3 else [address.street, "", ""]
        row |= {f"{prefix} Street": streets[0], f"{prefix} Street 2": streets[1], f"{prefix} Street 3": streets[2],
                f"{prefix} City": address.locality, f"{prefix} State": address.region,
                f"{prefix} Postal Code": address.postal_code, f"{prefix} Country/Region": address.country, po_box: address.po_box}  # fmt: skip
    if len(c.emails) > 3:
        warnings.append(f"{name}: {len(c.emails) - 3} e-mail(s) beyond Outlook's three, not written")
    return row


def _outlook_phone_column(phone: Typed, free: list[str]) -> str | None:
    if phone.label in free:
        return phone.label
    wanted = {t for t in phone.types if t not in ("voice", "pref")}
    if phone.pref and "Primary Phone" in free and not wanted:
        return "Primary Phone"
    for column, types in OUTLOOK_PHONES:
        if column in free and types and set(types) == wanted:
            return column
    for column, types in OUTLOOK_PHONES:
        if column in free and types and set(types) <= wanted:
            return column
    return "Other Phone" if "Other Phone" in free else next((c for c in free if c not in OUTLOOK_LABELLED_PHONES), None)


def _google_header(contacts: list[Contact]) -> list[str]:
    most = {kind: max([len(getattr(c, attr)) for c in contacts] + [1]) for kind, attr in (("E-mail", "emails"), ("Phone", "phones"), ("Address", "addresses"), ("Website", "urls"))}
    header = list(GOOGLE_HEADER_START)
    for kind in ("E-mail", "Phone"):
        for n in range(1, most[kind] + 1):
            header += [f"{kind} {n} - Type", f"{kind} {n} - Value"]
    for n in range(1, most["Address"] + 1):
        header += [f"Address {n} - Type"] + [f"Address {n} - {part}" for part, _ in GOOGLE_ADDRESS_PARTS]
    header += [f"Organization 1 - {part}" for part in GOOGLE_ORG_PARTS]
    for n in range(1, most["Website"] + 1):
        header += [f"Website {n} - Type", f"Website {n} - Value"]
    kept = {e.name.upper() for c in contacts for e in c.extra if e.name.upper().startswith(EXTRA_PREFIX)}
    known = {slug(h) for h in header}
    # Columns an import kept that the fixed part has no place for (Custom Field 1 - Value ...).
    for name in sorted(kept - known):
        column = next((_column_of(name, c) for c in contacts if _column_of(name, c)), None)
        if column:
            header.append(column)
    return header


def _column_of(name: str, contact: Contact) -> str | None:
    """The CSV column an `X-CSV-` property `name` came from (its X-COLUMN parameter)."""
    for e in contact.extra:
        if e.name.upper() == name:
            for p_name, p_value in e.params:
                if p_name.upper() == "X-COLUMN":
                    return p_value
    return None


def _google_type(item: Typed | Address) -> str:
    wanted = tuple(t for t in item.types if t not in ("voice", "internet", "pref"))
    name = next((k for k, v in GOOGLE_TYPES.items() if v == wanted), None)
    text = item.label or (name.title() if name else (wanted[0] if wanted else ""))
    return f"* {text}" if item.pref else text


def _google_row(c: Contact) -> dict[str, str]:
    row = _kept_columns(c, _google_header([c]))
    groups = [GOOGLE_OWN_GROUP, *c.categories]
    row |= {
        "Name": c.best_name(), "Given Name": c.name.given, "Additional Name": c.name.additional,
        "Family Name": c.name.family, "Name Prefix": c.name.prefix, "Name Suffix": c.name.suffix,
        "Nickname": GOOGLE_MULTI.join(c.nicknames), "Birthday": c.birthday, "Notes": c.note,
        "Group Membership": GOOGLE_MULTI.join(groups), "Organization 1 - Name": c.organization,
        "Organization 1 - Title": c.title, "Organization 1 - Department": GOOGLE_MULTI.join(c.org_units),
    }  # fmt: skip
    for kind, items in (("E-mail", c.emails), ("Phone", c.phones), ("Website", c.urls)):
        for n, item in enumerate(items, 1):
            row[f"{kind} {n} - Type"], row[f"{kind} {n} - Value"] = _google_type(item), item.value
    for n, a in enumerate(c.addresses, 1):
        row[f"Address {n} - Type"] = _google_type(a)
        for part, attr in GOOGLE_ADDRESS_PARTS:
            if attr:
                row[f"Address {n} - {part}"] = getattr(a, attr)
        row[f"Address {n} - Formatted"] = "\n".join(p for p in (a.street, f"{a.postal_code} {a.locality}".strip(), a.region, a.country) if p)
    return row
