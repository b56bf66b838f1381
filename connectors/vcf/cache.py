"""The vcf connector's marker cache: file name -> (etag, marker), so a listing reads only
the files whose etag changed since the last pass.

Kept compact, since a pass holds it whole (100,000 copies): one tuple of strings per
file, the strings interned so the engine's own link index (which holds the same names,
etags and record ids, interned too) shares them instead of keeping a second copy. The
file is one tab-separated line per entry, read and written line by line (a JSON
document was parsed whole, doubling the peak). A missing or damaged cache only costs
one full read of the folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from sys import intern

from contacthub.connector import Marker

log = logging.getLogger(__name__)

CACHE_FILE = "vcf-markers.tsv"
HEADER = "contacthub vcf markers 2\n"
SAVE_MIN = 2000  # entries changed before a batch of writes saves the cache (close() always does)

Entry = tuple[str, str, str]  # etag, database id, record id ("" and "": a plain contact)
_UNSAFE = ("\t", "\n", "\r")  # an entry holding one is not kept (read again each pass: rare)


def entry(etag: str, marker: Marker | None) -> Entry:
    if marker is None:
        return (intern(etag), "", "")
    return (intern(etag), intern(marker.database_id), intern(marker.record_id))


def marker_of(item: Entry) -> Marker | None:
    return Marker(item[1], item[2]) if item[2] else None


class MarkerCache:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / CACHE_FILE
        self._entries: dict[str, Entry] | None = None  # loaded on first use
        self.dirty = False
        self.unsaved = 0  # entries changed since the cache was last written

    @property
    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            self._entries = _read(self.path)
        return self._entries

    def put(self, name: str, etag: str, marker: Marker | None) -> None:
        self.entries[intern(name)] = entry(etag, marker)
        self.changed()

    def drop(self, name: str) -> None:
        if self.entries.pop(name, None) is not None:
            self.changed()

    def changed(self, count: int = 1) -> None:
        self.dirty = True
        self.unsaved += count

    def save(self, batch: bool = False) -> None:
        """Write the cache. After a batch of writes only once a quarter of it is new:
        rewriting all of it after every batch made a first sync quadratic."""
        if not self.dirty or self._entries is None:
            return
        if batch and self.unsaved < max(SAVE_MIN, len(self._entries) // 4):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _write_lines(self.path, self._entries)
        except OSError as exc:  # the cache only saves reads; the next pass reads the files again
            log.warning("vcf: cannot write the marker cache in %s: %s", self.path.parent, exc.strerror)
            return
        self.dirty, self.unsaved = False, 0


def _read(path: Path) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    try:
        with open(path, encoding="utf-8") as file:
            if file.readline() != HEADER:
                return {}
            for line in file:
                name, etag, database_id, record_id = line.rstrip("\n").split("\t")
                marker = Marker(database_id, record_id) if record_id else None
                entries[intern(name)] = entry(etag, marker)
    except (OSError, ValueError, UnicodeDecodeError):
        return {}  # a missing or damaged cache only costs one full read
    return entries


def _write_lines(path: Path, entries: dict[str, Entry]) -> None:
    """The cache, atomically (temp file, fsync, rename), written a line at a time."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vcf-markers-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(HEADER)
            for name, (etag, database_id, record_id) in entries.items():
                line = f"{name}\t{etag}\t{database_id}\t{record_id}"
                if not any(c in line for c in _UNSAFE[1:]) and line.count("\t") == 3:
                    file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
