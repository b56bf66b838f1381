"""One small value a CardDAV target keeps for the next process, in a JSON file of its cache folder.

The auth scheme (auth_memo.py) and the address book's path (book_memo.py) are
kept this way: read once, written atomically and owner-only (mkstemp makes it
0600, U5), never a credential. A file that cannot be read or written only costs
the round trip the memo saves.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class MemoFile:
    def __init__(self, folder: Path, name: str, key: str, valid: Callable[[object], bool], what: str) -> None:
        self.path = Path(folder) / name
        self.key = key
        self.what = what  # for the log line: "the auth scheme"
        self.value: str | None = None
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            value = json.loads(self.path.read_text(encoding="utf-8")).get(key)
            self.value = value if isinstance(value, str) and valid(value) else None

    def save(self, value: str | None) -> None:
        """Keep `value` if it is new (None forgets it); a failure is one log line."""
        if value == self.value:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.stem}-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump({self.key: value} if value else {}, file)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.info("carddav: cannot keep %s in %s: %s", self.what, self.path.parent, exc.strerror)
            return
        self.value = value
