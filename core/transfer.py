"""Import .vcf files into the business database and export records as .vcf."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from contacthub.errors import NotFoundError
from contacthub.model import Record


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    files: int = 0
    skipped: int = 0  # cards (and files) that could not be read
    problems: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # one line per group card: what it became


def vcf_files(path: Path) -> list[Path]:
    """The .vcf files at `path`: the file itself, or every .vcf under a folder."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".vcf", ".vcard") and p.is_file())
    raise NotFoundError(f"no such file or folder: {path}")


def import_vcards(tx, path: Path, type_name: str) -> ImportReport:
    """Read every card under `path` into the database.

    A card whose UID matches a live record updates that record (so importing
    the same file twice adds nothing); a bad card or unreadable file is
    reported and skipped while the rest goes on. Files are read card by card
    (memory stays flat on big files). Group cards are never contacts: see
    `_apply_groups`.
    """
    from contacthub.vcard import CardGroup, VCardStream

    tx.types.get(type_name)  # an unknown type fails the whole command up front
    report = ImportReport()
    by_uid = {r.contact.uid: r for r in tx.records.list() if r.contact.uid}
    groups: list[tuple[CardGroup, Path]] = []
    for file in vcf_files(path):
        source = f"import:{file.name}"
        stream = VCardStream([], str(file))
        try:
            with file.open("rb") as handle:
                stream = VCardStream.from_file(handle, str(file))
                report.files += 1
                for contact in stream:
                    if isinstance(contact, CardGroup):
                        groups.append((contact, file))
                        continue
                    existing = by_uid.get(contact.uid)
                    if existing is None:
                        by_uid[contact.uid] = tx.records.add(contact, type_name=type_name, source=source)
                        report.added += 1
                        continue
                    updated = tx.records.update(existing.id, contact, source=source)
                    if updated.version == existing.version:
                        report.unchanged += 1
                    else:
                        report.updated += 1
                    by_uid[contact.uid] = updated
        except OSError as exc:
            report.problems.append(f"{file}: cannot read: {exc.strerror or exc}")
            report.skipped += 1
        report.problems.extend(stream.problems)
        report.skipped += stream.skipped
    _apply_groups(tx, groups, by_uid, report)
    return report


def _member_key(uri: str) -> str:
    """A group member (urn:uuid:X, or a bare UID) as the UID it names, compared case-blind."""
    uri = uri.strip()
    return (uri[9:] if uri[:9].lower() == "urn:uuid:" else uri).casefold()


def _apply_groups(tx, groups, by_uid: dict[str, Record], report: ImportReport) -> None:
    """A group card (vCard 4.0 KIND:group, Apple's X-ADDRESSBOOKSERVER-KIND:group) becomes
    a category named after the group on each member record (found by UID, or by
    e-mail for a mailto: member); the group itself is stored nowhere (issue 13)."""
    if not groups:
        return
    by_member = {_member_key(uid): uid for uid in by_uid}
    for group, file in groups:
        if not group.name:
            report.problems.append(f"{group.where}: a group without a name, skipped")
            report.skipped += 1
            continue
        found = [by_uid[by_member[k]] for k in map(_member_key, group.members) if k in by_member]
        found += _by_email(by_uid, [m.strip()[7:] for m in group.members if m.strip()[:7].lower() == "mailto:"])
        tagged = 0
        for record in {r.id: r for r in found}.values():
            if not any(c.casefold() == group.name.casefold() for c in record.contact.categories):
                contact = record.contact.copy(categories=[*record.contact.categories, group.name])
                by_uid[contact.uid] = tx.records.update(record.id, contact, source=f"import:{file.name}")
            tagged += 1
        missing = len(group.members) - tagged
        line = f"{file}: group '{group.name}' → category on {_count(tagged, 'contact')}"
        report.groups.append(line + (f" ({_count(missing, 'member')} not found)" if missing > 0 else ""))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _by_email(by_uid: dict[str, Record], emails: list[str]) -> list[Record]:
    wanted = {e.casefold() for e in emails}
    if not wanted:
        return []
    return [r for r in by_uid.values() if any(e.value.casefold() in wanted for e in r.contact.emails)]


def export_vcards(records: Iterable[Record], path: Path, version: str = "3.0") -> int:
    """Write records to one .vcf file (PATH ends in .vcf) or a folder, one file per record."""
    from contacthub.vcard import to_vcard

    records = list(records)
    if path.suffix.lower() == ".vcf":
        _write_atomic(path, "".join(to_vcard(r.contact, version) for r in records))
    else:
        path.mkdir(parents=True, exist_ok=True)
        for record in records:
            # Record ids are uuids we made, so they are safe file names.
            _write_atomic(path / f"{record.id}.vcf", to_vcard(record.contact, version))
    return len(records)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename, so a crash leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
