"""What the Outlook connector remembers between passes, in the target's cache folder.

- markers by item id and changeKey, so a delta round needs to download only
  the markers of items whose changeKey is new;
- which delta links it handed out, and which items the hub wrote after each:
  a copy created after a link and deleted since may be missing from that
  link's changes (the service never told the client about it); the hub asks
  for its own writes by id so such a deletion is still seen (S5).

Losing the file is harmless: markers are read again, and an unknown delta link
is treated as expired (a full read).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from contacthub.connector import Marker
from contacthub.connectors.outlook_marker import marker_text, parse_marker

FILE = "graph-markers.json"
KEEP_TOKENS = 8


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


class MarkerCache:
    def __init__(self, cache_dir: Path, folder_id: str) -> None:
        self.path = Path(cache_dir) / FILE
        self.folder_id = folder_id
        self.items: dict[str, list[str]] = {}  # id -> [changeKey, marker text]
        self.tokens: dict[str, int] = {}  # digest of a delta link -> write counter when it was issued
        self.written: dict[str, int] = {}  # id -> write counter of the hub's last write to it
        self.counter = 0
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("folder") != self.folder_id:
            return  # another folder's memory (the target moved): start afresh
        self.items = {str(k): list(v) for k, v in data.get("items", {}).items() if isinstance(v, list) and len(v) == 2}
        self.tokens = {str(k): int(v) for k, v in data.get("tokens", {}).items()}
        self.written = {str(k): int(v) for k, v in data.get("written", {}).items()}
        self.counter = int(data.get("counter", 0))

    def save(self) -> None:
        data = {"folder": self.folder_id, "items": self.items, "tokens": self.tokens,
                "written": self.written, "counter": self.counter}  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{FILE}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, self.path)

    # -- markers ---------------------------------------------------------------------

    def get(self, item_id: str, change_key: str) -> tuple[bool, Marker | None]:
        known = self.items.get(item_id)
        if known is None or not change_key or known[0] != change_key:
            return False, None
        return True, parse_marker(known[1])

    def put(self, item_id: str, change_key: str, marker: Marker | None) -> None:
        self.items[item_id] = [change_key, marker_text(marker)]

    def drop(self, item_id: str) -> None:
        self.items.pop(item_id, None)

    def keep_only(self, ids: set[str]) -> None:
        self.items = {k: v for k, v in self.items.items() if k in ids}

    def change_key(self, item_id: str) -> str:
        return self.items.get(item_id, ["", ""])[0]

    # -- delta links and own writes ---------------------------------------------------

    def wrote(self, item_id: str) -> None:
        self.counter += 1
        self.written[item_id] = self.counter

    def issued(self, token: str) -> None:
        self.tokens[_digest(token)] = self.counter
        if len(self.tokens) > KEEP_TOKENS:
            for digest, _ in sorted(self.tokens.items(), key=lambda kv: kv[1])[: len(self.tokens) - KEEP_TOKENS]:
                del self.tokens[digest]
        oldest = min(self.tokens.values())
        self.written = {k: v for k, v in self.written.items() if v > oldest}

    def written_since(self, token: str) -> list[str] | None:
        """Ids the hub wrote after `token` was issued; None when the token is unknown here."""
        issued = self.tokens.get(_digest(token))
        if issued is None:
            return None
        return sorted(k for k, v in self.written.items() if v > issued)
