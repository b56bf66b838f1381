"""An experiment, not product code: Radicale's multifilesystem storage with a cheaper UID check.

Radicale checks every new card's UID against every card of the collection
(`BaseCollection.has_uid` iterates `get_all()`: one cache file read and
unpickled per card, under the write lock), so a PUT costs O(cards in the book)
and a first sync of N cards O(N²). This storage keeps, per collection folder,
href -> (mtime, size, UID) and re-reads only the files whose stat changed: the
same answer, one `scandir` per PUT instead of N cache reads.

Radicale also runs `_clean_history` after every upload: a scan of the
collection's history cache with one `isfile` per entry (once a sync-collection
REPORT was answered, one entry per card), to drop entries of cards deleted
more than `max_sync_token_age` (30 days) ago. Here it runs at most once a
minute per collection: the same clean-up, not O(N) per PUT.

`bench/carddav.py --radicale-uid-index` starts Radicale with
`--storage-type radicale_uid_index` (this folder on PYTHONPATH) to measure what
an embedded server could gain (`contacthub serve`).
"""

from __future__ import annotations

import os
import threading
import time

from radicale.storage import multifilesystem

_INDEX: dict[str, dict[str, tuple[int, int, str]]] = {}
_LOCK = threading.Lock()
_CLEANED: dict[str, float] = {}
CLEAN_EVERY = 60.0  # seconds


class Collection(multifilesystem.Collection):
    def has_uid(self, uid: str) -> bool:
        folder = self._filesystem_path
        with _LOCK:
            known = _INDEX.setdefault(folder, {})
            seen = set()
            found = False
            for entry in os.scandir(folder):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                seen.add(entry.name)
                stat = entry.stat()
                cached = known.get(entry.name)
                if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
                    item = self._get(entry.name, verify_href=False)
                    if item is None:
                        continue
                    cached = known[entry.name] = (stat.st_mtime_ns, stat.st_size, item.uid)
                found = found or cached[2] == uid
            for gone in set(known) - seen:
                del known[gone]
            return found

    def _clean_history(self) -> None:
        now = time.monotonic()
        if now - _CLEANED.get(self._filesystem_path, -CLEAN_EVERY) >= CLEAN_EVERY:
            _CLEANED[self._filesystem_path] = now
            super()._clean_history()


class Storage(multifilesystem.Storage):
    _collection_class = Collection
