"""The address book's path, found once by discovery, kept in the target's cache folder for the next process.

Discovery costs a PROPFIND (or several) per `sync run`; a no-change pass is
otherwise one sync-collection REPORT. The memo is keyed by server URL, user and
the `addressbook` option, and only trusted once the head start's REPORT on it is
answered (prefetch); a stale memo costs one failed REPORT, then discovery as
without it. Holds no credential.
"""

from __future__ import annotations

from pathlib import Path

from contacthub.connectors.carddav.memo_file import MemoFile

BOOK_FILE = "carddav-book.json"


def _a_collection_path(book: object) -> bool:
    return isinstance(book, str) and book.startswith("/") and book.endswith("/")


class BookMemo:
    def __init__(self, folder: Path, location: str, username: str | None, wanted: str) -> None:
        key = f"{username or ''} {location} {wanted}"
        self._file = MemoFile(folder, BOOK_FILE, key, _a_collection_path, "the address book's path")

    @property
    def book(self) -> str | None:
        return self._file.value

    def save(self, book: str | None) -> None:
        """Keep `book` if it is new (None forgets it); a failure only costs the next process a PROPFIND."""
        self._file.save(book)
