"""Import .vcf files into the business database and export records as .vcf."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from contacthub.errors import NotFoundError
from contacthub.model import Record
from contacthub.private import private_dir


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


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
    reported and skipped while the rest goes on.
    """
    from contacthub.vcard import read_vcards

    tx.types.get(type_name)  # an unknown type fails the whole command up front
    report = ImportReport()
    by_uid = {r.contact.uid: r for r in tx.records.list() if r.contact.uid}
    for file in vcf_files(path):
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.problems.append(f"{file}: cannot read: {exc.strerror or exc}")
            continue
        report.files += 1
        result = read_vcards(data, source=str(file))
        report.problems.extend(result.problems)
        for contact in result.contacts:
            existing = by_uid.get(contact.uid)
            source = f"import:{file.name}"
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
    return report


def export_vcards(records: Iterable[Record], path: Path, version: str = "3.0") -> int:
    """Write records to one .vcf file (PATH ends in .vcf) or a folder, one file per record."""
    from contacthub.vcard import to_vcard

    records = list(records)
    if path.suffix.lower() == ".vcf":
        _write_atomic(path, "".join(to_vcard(r.contact, version) for r in records))
    else:
        private_dir(path)  # U5: an export holds the contacts; a folder made for it is the owner's only
        for record in records:
            # Record ids are uuids we made, so they are safe file names.
            _write_atomic(path / f"{record.id}.vcf", to_vcard(record.contact, version))
    return len(records)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename, so a crash leaves no half file.

    The file is owner-only (U5): mkstemp makes it 0600, whatever the umask.
    """
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
