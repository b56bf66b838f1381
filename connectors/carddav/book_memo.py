"""The address book's path, found once by discovery, kept in the target's cache folder for the next process.

Discovery costs a PROPFIND (or several) per `sync run`; a no-change pass is
otherwise one sync-collection REPORT. The memo is keyed by server URL, user and
the `addressbook` option, and only trusted once the head start's REPORT on it is
answered (prefetch); a stale memo costs one failed REPORT, then discovery as
without it. Holds no credential.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

BOOK_FILE = "carddav-book.json"


class BookMemo:
    def __init__(self, folder: Path, location: str, username: str | None, wanted: str) -> None:
        self.path = Path(folder) / BOOK_FILE
        self.key = f"{username or ''} {location} {wanted}"
        self.book: str | None = None
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            book = json.loads(self.path.read_text(encoding="utf-8")).get(self.key)
            self.book = book if isinstance(book, str) and book.startswith("/") and book.endswith("/") else None

    def save(self, book: str | None) -> None:
        """Keep `book` if it is new (None forgets it); a failure only costs the next process a PROPFIND."""
        if book == self.book:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".carddav-book-", suffix=".tmp")  # owner-only (U5)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump({self.key: book} if book else {}, file)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.info("carddav: cannot keep the address book's path in %s: %s", self.path.parent, exc.strerror)
            return
        self.book = book
