"""Records: list, search, show, add, edit, delete, restore, purge, history, revert, twins, merge.

Plain arguments in (a `Database`, ids, the values a person typed), plain results
out (`Record`s, dataclasses). The CLI and the web app both call these, so the
rules (validation, phone formatting, add/remove of single values) live once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from contacthub.errors import UsageError
from contacthub.model import Contact, Record

# The values `add` and `edit` take, as the CLI's options name them; a list field is a tuple of texts.
SCALAR_FIELDS = ("name", "given", "family", "company", "title", "role", "birthday", "anniversary", "note")
LIST_FIELDS = ("nicknames", "departments", "emails", "phones", "addresses", "urls", "ims", "categories")
EDITABLE_LISTS = ("emails", "phones", "addresses", "categories")  # add/remove one value (contact_edit)

_OPTIONS = {"nicknames": "nickname", "departments": "department", "emails": "email", "phones": "phone",
            "addresses": "address", "urls": "url", "ims": "im", "categories": "category"}  # fmt: skip


def blank_values() -> dict[str, Any]:
    """Values that change nothing: every scalar None, every list empty."""
    return {**dict.fromkeys(SCALAR_FIELDS), **{k: () for k in LIST_FIELDS}}


def option_name(key: str) -> str:
    """The option a value came from, as typed: --nickname for the list `nicknames`."""
    return "--" + _OPTIONS.get(key, key)


def apply_values(contact: Contact, values: dict[str, Any]) -> Contact:
    """A copy of `contact` with the fields the user gave set; everything else as it was.

    A scalar None is "not given"; "" clears it. A non-empty list replaces the whole list.
    Phones are formatted, e-mails/addresses typed ("work=…") as the CLI takes them.
    """
    from contacthub.contact_input import address_value, check_text, iso_date, phone_value, split_name, typed_value

    values = {**blank_values(), **values}
    for key, value in values.items():
        for text in value if isinstance(value, (tuple, list)) else [value]:
            if isinstance(text, str):
                check_text(text, option_name(key))
    contact = contact.copy()
    if values["name"]:
        contact.display_name = " ".join(values["name"].split())
        contact.name = split_name(values["name"])
    if values["given"] is not None:
        contact.name.given = values["given"]
    if values["family"] is not None:
        contact.name.family = values["family"]
    for key, attr in (("company", "organization"), ("title", "title"), ("role", "role"), ("note", "note")):
        if values[key] is not None:
            setattr(contact, attr, values[key])
    for key in ("birthday", "anniversary"):
        if values[key] is not None:
            setattr(contact, key, iso_date(values[key], key) if values[key] else "")
    converters = {"emails": typed_value, "phones": phone_value, "addresses": address_value, "urls": typed_value, "ims": typed_value}
    for key in LIST_FIELDS:
        if values[key]:
            convert = converters.get(key, lambda v: v)
            setattr(contact, "org_units" if key == "departments" else key, [convert(v) for v in values[key]])
    if not contact.best_name():
        raise UsageError("a contact needs at least a name, a company or an email")
    return contact


@dataclass
class Page:
    """One page of a record list: the records shown, and where they sit in the whole."""

    records: list[Record]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total


def list_records(
    db, *, deleted: bool = False, type_name: str | None = None, category: str | None = None, text: str | None = None
) -> list[Record]:
    """Records in name order (the `contact list` search: name, company, e-mail, phone digits, notes)."""
    with db.reading() as read:  # SQLAlchemy Core: a read loads no ORM
        if type_name:
            read.type(type_name)  # an unknown type is an error, not an empty list
        records = read.records(deleted=deleted, type_name=type_name, category=category, text=text or None)
    records.sort(key=lambda r: r.contact.best_name().casefold())
    return records


def list_page(
    db, *, offset: int = 0, limit: int = 50, deleted: bool = False, type_name: str | None = None,
    category: str | None = None, text: str | None = None, order: str = "name",
) -> Page:  # fmt: skip
    """One page of the records `list_records` gives, in the same (name) order, or by
    `order`: "company" or "changed" (last changed first); another order is a UsageError.

    Counted and cut in SQL, so a page of 50 costs the same at 10 records and at 100,000:
    only the page's rows are read and decoded.
    """
    from contacthub.store.reading import ORDERS

    if order not in ORDERS:
        raise UsageError(f"unknown order {order!r} (known: {', '.join(ORDERS)})")
    with db.reading() as read:
        if type_name:
            read.type(type_name)  # an unknown type is an error, not an empty list
        found, total, offset = read.page(offset, limit, deleted, type_name or None, category or None, text or None, order)
    return Page(found, total, offset, limit)


def type_summary(db) -> list[tuple[Any, int]]:
    """Each record type (built-ins first) with how many live records it holds."""
    with db.reading() as read:
        counts = read.type_counts()
        return [(t, counts.get(t.name, 0)) for t in read.types()]


def record_types(db) -> list[str]:
    with db.transaction(readonly=True) as tx:
        return [t.name for t in tx.types.list()]


def chosen(db, ids: list[str]) -> list[Record]:
    """The records these ids name (full ids, prefixes or merged-away ids), each once, in name order."""
    with db.reading() as read:
        found = {r.id: r for r in (read.record(i) for i in ids)}
    return sorted(found.values(), key=lambda r: r.contact.best_name().casefold())


def get(db, record_id: str) -> Record:
    with db.transaction(readonly=True) as tx:
        return tx.records.get(record_id)


def add(db, values: dict[str, Any], *, type_name: str = "business-contact", photo=None, dry_run: bool = False) -> Record:
    """A new record from the values typed; `photo` a `Photo` or None."""
    new = apply_values(Contact(uid=str(uuid.uuid4())), values)
    if photo is not None:
        new.photo = photo
    with db.transaction() as tx:
        record = tx.records.add(new, type_name=type_name, source="user")
        if dry_run:
            tx.session.rollback()
    return record


@dataclass
class EditOutcome:
    before: Record
    after: Record
    changes: list = field(default_factory=list)  # contact_diff lines: field: old → new

    @property
    def changed(self) -> bool:
        return self.after.version != self.before.version


def edit(
    db, record_id: str, values: dict[str, Any], *, add: dict | None = None, remove: dict | None = None,
    type_name: str | None = None, photo: Any = ..., dry_run: bool = False,
) -> EditOutcome:  # fmt: skip
    """Change fields; `add`/`remove` put single values into / take them out of a list field.

    `photo`: ... keeps it, None removes it, a `Photo` sets it.
    """
    from contacthub.contact_diff import contact_diff
    from contacthub.contact_edit import edit_lists

    with db.transaction() as tx:
        record = tx.records.get(record_id)
        changed = edit_lists(apply_values(record.contact, values), add or {}, remove or {})
        if photo is not ...:
            changed.photo = photo
        updated = tx.records.update(record.id, changed, source="user", type_name=type_name)
        if dry_run:
            tx.session.rollback()
    return EditOutcome(record, updated, contact_diff(record.contact, changed))


def lifecycle(db, verb: str, record_id: str, dry_run: bool = False) -> Record:
    """delete (to Deleted Items), restore, or purge (for good) one record; the record as it was."""
    if verb not in ("delete", "restore", "purge"):
        raise ValueError(verb)
    with db.transaction() as tx:
        record = tx.records.get(record_id)
        getattr(tx.records, verb)(record.id)
        if dry_run:
            tx.session.rollback()
    return record


@dataclass
class HistoryLine:
    version: int
    changed_at: Any
    action: str
    source: str
    type_name: str
    note: str
    changes: list  # record_versions.changes: field, old, new
    previous: Contact | None
    revertible: bool = False  # this version can be brought back (`revert`): it is kept and not the current one


def history(db, record_id: str) -> tuple[Record, list[HistoryLine]]:
    """The record and its changes, oldest first, each as field: old → new."""
    from contacthub.record_versions import changes, versions

    with db.transaction(readonly=True) as tx:
        record = tx.records.get(record_id)
        entries = tx.records.history(record.id)
    diffs = changes(record, entries)
    kept = set(versions(record, entries)) - {record.version}
    return record, [
        HistoryLine(e.version, e.changed_at, e.action, e.source, e.type_name, e.note, diff, e.contact, e.version in kept)
        for e, diff in zip(entries, diffs, strict=True)
    ]


def revert(db, record_id: str, version: int, dry_run: bool = False) -> EditOutcome:
    """Bring `version` back as a new version."""
    from contacthub.record_versions import revert as revert_record

    with db.transaction() as tx:
        before, after, diff = revert_record(tx, record_id, version)
        if dry_run:
            tx.session.rollback()
    return EditOutcome(before, after, list(diff))


def duplicates(db) -> list:
    """Likely twins among live records, best first (duplicates.Twin: a, b, score, reasons)."""
    from contacthub.duplicates import find_duplicates

    with db.transaction(readonly=True) as tx:
        return find_duplicates(tx.records.list())


def merge(db, keep_id: str, other_id: str, dry_run: bool = False):
    """Merge `other_id` into `keep_id` (record_merge.MergeOutcome: record, merged, dropped)."""
    from contacthub.record_merge import merge_records

    with db.transaction() as tx:
        outcome = merge_records(tx, keep_id, other_id, source="user")
        if dry_run:
            tx.session.rollback()
    return outcome


def import_file(db, path, type_name: str = "business-contact", on_duplicate: str | None = None, dry_run: bool = False):
    """Import a .vcf/.csv file or folder; the ImportReport (added, updated, unchanged, skipped, problems)."""
    from contacthub.transfer import import_path

    with db.transaction() as tx:
        report = import_path(tx, path, type_name, on_duplicate, None)
        if dry_run:
            tx.session.rollback()
    return report
