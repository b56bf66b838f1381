"""Which items the hub wrote after which sync state: a contact created after a state and
deleted since is, rightly, not in SyncFolderItems' changes for that state (the
create and the delete cancel out), yet the hub knows that copy and must hear
that it is gone (S5). Kept as JSON in the target's cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

FILE = "ews-journal.json"
VERSION = 1
MAX_STATES = 50  # sync states remembered; an older one gets a full listing


def _key(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:32]  # states are kilobytes long


class Journal:
    def __init__(self, folder: Path, scope: str) -> None:
        self.path = Path(folder) / FILE
        self.scope = scope  # the mailbox and folder: another folder's journal is not ours
        self.states: dict[str, int] = {}  # state key -> its number, in the order handed out
        self.writes: dict[str, int] = {}  # item id -> number of the last state handed out before the hub wrote it
        self._load()

    def issued(self, state: str) -> None:
        """A sync state handed to the engine: items written from now on are written after it."""
        key = _key(state)
        if state and key not in self.states:
            self.states[key] = max(self.states.values(), default=0) + 1
            for old in sorted(self.states, key=self.states.get)[:-MAX_STATES]:
                del self.states[old]
            oldest = min(self.states.values())
            self.writes = {i: n for i, n in self.writes.items() if n >= oldest}

    def wrote(self, item_id: str) -> None:
        self.writes[item_id] = max(self.states.values(), default=0)

    def deleted(self, item_id: str) -> None:
        self.writes.pop(item_id, None)

    def written_since(self, state: str) -> list[str] | None:
        """Items the hub wrote after `state` was handed out; None for a state this journal does not know."""
        number = self.states.get(_key(state))
        if number is None:
            return None
        return [i for i, n in self.writes.items() if n >= number]

    def save(self) -> None:
        data = json.dumps({"version": VERSION, "scope": self.scope, "states": self.states, "writes": self.writes})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ews-journal-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(data)
            os.replace(tmp, self.path)
        except OSError as exc:  # without it the next pass lists everything: slower, never wrong
            log.warning("ews: cannot write %s: %s", self.path, exc.strerror)
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == VERSION and data.get("scope") == self.scope:
                self.states = {str(k): int(v) for k, v in data["states"].items()}
                self.writes = {str(k): int(v) for k, v in data["writes"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # missing or damaged: unknown states get a full listing
