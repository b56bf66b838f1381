"""Import .vcf and .csv files into the business database and export records as .vcf or .csv."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from contacthub.errors import NotFoundError
from contacthub.importing import Ask, Importer, ImportReport
from contacthub.model import Record
from contacthub.private import private_dir

IMPORTABLE = (".vcf", ".vcard", ".csv")


def import_files(path: Path) -> list[Path]:
    """The files `path` names: the file itself, or every .vcf/.vcard/.csv under a folder."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in IMPORTABLE and p.is_file())
    raise NotFoundError(f"no such file or folder: {path}")


vcf_files = import_files  # the name before CSV came


def import_path(
    tx, path: Path, type_name: str, on_duplicate: str | None = None, ask: Ask | None = None, commit_chunks: bool = False
) -> ImportReport:
    """Read every card under `path` (vCard, or Outlook/Google CSV) into the database.

    Each card is matched to what is there (contacthub.importing): importing the
    same export twice adds nothing (I1). A bad card or unreadable file is
    reported and skipped while the rest goes on. vCard files are read card by
    card (memory stays flat on big files). Group cards are never contacts: see
    `_apply_groups`. `commit_chunks`: commit every chunk of cards as it is
    written (contacthub.importing.Importer), so a killed import resumes.
    """
    importer = Importer(tx, type_name, on_duplicate, ask, commit_chunks)
    try:
        return _import_files(tx, importer, path)
    finally:
        importer.close()


def _import_files(tx, importer: Importer, path: Path) -> ImportReport:
    from contacthub.csv_io import CsvStream, looks_like_csv
    from contacthub.vcard import CardGroup, VCardStream

    report = importer.report
    groups: list[tuple[CardGroup, Path]] = []
    for file in import_files(path):
        source = f"import:{file.name}"
        try:
            with file.open("rb") as handle:
                head = handle.read(8192)
                handle.seek(0)
                report.files += 1
                if file.suffix.lower() == ".csv" or looks_like_csv(head):
                    rows = CsvStream(handle, source=str(file))  # read row by row
                    for contact in rows:
                        importer.take(contact, own_uid=False, source=source)  # CSV has no UID column
                    report.problems.extend(rows.problems)
                    report.unreadable += len(rows.problems)
                    continue
                # new_uids=False: a card without UID reads with none, so it is matched by its content
                stream = VCardStream.from_file(handle, str(file), new_uids=False)
                for card in stream:
                    if isinstance(card, CardGroup):
                        groups.append((card, file))
                    else:
                        importer.take(card, own_uid=bool(card.uid), source=source)
                report.problems.extend(stream.problems)
                report.unreadable += stream.skipped
        except OSError as exc:
            report.problems.append(f"{file}: cannot read: {exc.strerror or exc}")
            report.unreadable += 1
    importer.finish()
    if groups:
        _apply_groups(tx, groups, importer.records_by_uid(), report)
    return report


import_vcards = import_path  # the name before CSV came


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
            report.unreadable += 1
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
        private_dir(path)  # U5: an export holds the contacts; a folder made for it is the owner's only
        for record in records:
            # Record ids are uuids we made, so they are safe file names.
            _write_atomic(path / f"{record.id}.vcf", to_vcard(record.contact, version))
    return len(records)


def export_csv(records: Iterable[Record], path: Path, layout: str = "outlook") -> tuple[int, list[str]]:
    """Write records to one CSV file in Outlook's or Google's layout; the lines say what did not fit."""
    from contacthub.csv_write import write_csv

    records = list(records)
    data, warnings = write_csv((r.contact for r in records), layout)
    _write_atomic(path, data)
    return len(records), warnings


def _write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temp file in the same folder and rename, so a crash leaves no half file.

    The file is owner-only (U5): mkstemp makes it 0600, whatever the umask.
    """
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
