"""Import .vcf and .csv files into the business database and export records as .vcf or .csv."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from contacthub.errors import NotFoundError
from contacthub.importing import Ask, ImportReport, Importer, has_own_uid, uids_in
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


def import_path(tx, path: Path, type_name: str, on_duplicate: str | None = None, ask: Ask | None = None) -> ImportReport:
    """Read every card under `path` (vCard, or Outlook/Google CSV) into the database.

    Each card is matched to what is there (contacthub.importing): importing the
    same export twice adds nothing (I1). A bad card or unreadable file is
    reported and skipped while the rest goes on.
    """
    from contacthub.csv_io import looks_like_csv, read_csv
    from contacthub.vcard import read_vcards

    importer = Importer(tx, type_name, on_duplicate, ask)
    report = importer.report
    for file in import_files(path):
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.problems.append(f"{file}: cannot read: {exc.strerror or exc}")
            continue
        report.files += 1
        if file.suffix.lower() == ".csv" or looks_like_csv(data):
            result = read_csv(data, source=str(file))
            file_uuids = None  # CSV has no UID column: every card is matched by its content
        else:
            result = read_vcards(data, source=str(file))
            file_uuids = uids_in(_text(data))
        report.problems.extend(result.problems)
        source = f"import:{file.name}"
        for contact in result.contacts:
            own_uid = file_uuids is not None and has_own_uid(contact, file_uuids)
            importer.take(contact, own_uid=own_uid, source=source)
    return importer.finish()


import_vcards = import_path  # the name before CSV came


def _text(data: bytes) -> str:
    """The file as text, for finding the UIDs it spells (UTF-16 when it starts with its BOM)."""
    codec = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    return data.decode(codec, errors="replace")


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
