"""The cache of markers by href and etag (the marker itself: connectors/vcard_marker.py).

The cache lets `list()`/`changes()` report markers without downloading cards whose etag
the hub has already seen: a pass with no change downloads no card.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contacthub.connector import Marker
from contacthub.connectors.vcard_marker import MARKER_PROPS
from contacthub.model import Contact

log = logging.getLogger(__name__)

CACHE_FILE = "carddav-markers.json"
CACHE_VERSION = 1
MAX_TOKENS = 50  # change tokens remembered; an older one gets a full listing


@dataclass
class CacheEntry:
    etag: str
    marker: Marker | None
    order: tuple[str, ...] = ()  # the unknown properties' names, in the order the hub wrote them
    written: int | None = None  # the hub wrote this card after change token number `written` was handed out
    sent: dict[str, Any] = field(default_factory=dict)  # fields the server re-encoded -> the value sent (rewrites.py)
    seen: int = 0  # this etag was read or written after change token number `seen` was handed out


class MarkerCache:
    """href path -> CacheEntry for one address book, kept in the target's cache folder.

    Besides markers it keeps two things the server cannot tell us:
    - the order of unknown properties the hub wrote, because some servers
      (Radicale) sort a card's properties by name, and the card read back must
      equal the contact written or every pass would see a change;
    - which cards the hub wrote after which change token: a card created after
      a token and deleted since is, rightly, not in the server's changes for
      that token (Xandikos leaves it out), yet the hub knows that card;
    - the values the hub sent where the server stored them re-encoded (S14);
    - cards found gone while writing them (a PUT's 412, then 404), until a
      change set has reported them deleted.
    """

    def __init__(self, folder: Path, collection: str) -> None:
        self.path = Path(folder) / CACHE_FILE
        self.collection = collection
        self.entries: dict[str, CacheEntry] = {}
        # Entries as the file holds them, made into CacheEntry when first asked for (_entry): a no-change
        # pass asks for none, and making all of them was half the cache's read (~6 ms of 12 at 5,000 cards),
        # while the server works on the head start's answer.
        self._unread: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, int] = {}  # change token -> its number, in the order handed out
        self.gone: set[str] = set()
        self._read()
        self.dirty = False

    def get(self, path: str, etag: str) -> tuple[bool, Marker | None]:
        """(known, marker): known when this exact etag of this card was seen before."""
        entry = self._entry(path)
        if entry is not None and entry.etag == etag:
            return True, entry.marker
        return False, None

    def sent(self, path: str) -> dict[str, Any]:
        entry = self._entry(path)
        return entry.sent if entry is not None else {}

    def lost(self, path: str) -> None:
        """A card found gone while the hub wrote it: the next change set reports it deleted."""
        self.drop(path)
        self.gone.add(path)
        self.dirty = True

    def take_gone(self) -> set[str]:
        gone, self.gone = self.gone, set()
        self.dirty = self.dirty or bool(gone)
        return gone

    def order(self, path: str) -> tuple[str, ...]:
        entry = self._entry(path)
        return entry.order if entry is not None else ()

    def put(self, path: str, etag: str, marker: Marker | None) -> None:
        """Remember a card as read: its etag and marker (what the hub knew of it stays)."""
        old = self._entry(path)
        entry = CacheEntry(etag, marker, old.order if old else (), old.written if old else None, old.sent if old else {})
        entry.seen = old.seen if old is not None and old.etag == etag else self._latest()
        self._set(path, entry)

    def wrote(self, path: str, etag: str, marker: Marker | None, order: tuple[str, ...], sent: dict[str, Any] | None = None) -> None:
        """Remember a card the hub itself wrote (`sent`: the values the server re-encoded, as sent)."""
        self._set(path, CacheEntry(etag, marker, order, self._latest(), sent or {}, self._latest()))

    def issued(self, token: str) -> None:
        """A change token handed to the engine: cards written from now on are written after it."""
        if token and token not in self.tokens:
            self.tokens[token] = max(self.tokens.values(), default=0) + 1
            for old in sorted(self.tokens, key=self.tokens.get)[:-MAX_TOKENS]:
                del self.tokens[old]
            self.dirty = True

    def latest_token(self) -> str:
        """The change token handed out last ("" when none)."""
        return max(self.tokens, key=self.tokens.__getitem__, default="")

    def known_before(self, path: str, etag: str, token: str) -> bool:
        """Whether this etag of this card was known before `token` was handed out (so did not change since)."""
        entry = self._entry(path)
        number = self.tokens.get(token)
        if entry is None or entry.etag != etag or number is None:
            return False
        return max(entry.seen, entry.written or 0) < number  # (a cache from before `seen` has it 0)

    def _latest(self) -> int:
        return max(self.tokens.values(), default=0)

    def written_since(self, token: str) -> list[str] | None:
        """Cards the hub wrote after `token` was handed out; None when the token is not one we know."""
        number = self.tokens.get(token)
        if number is None:
            return None
        made = (p for p, e in self.entries.items() if e.written is not None and e.written >= number)
        unread = (p for p, raw in self._unread.items() if (w := _written(raw)) is not None and w >= number)
        return [*made, *unread]

    def drop(self, path: str) -> None:
        if self.entries.pop(path, None) is not None or self._unread.pop(path, None) is not None:
            self.dirty = True

    def keep_only(self, paths: set[str]) -> None:
        for path in (self.entries.keys() | self._unread.keys()) - paths:
            self.drop(path)

    def _entry(self, path: str) -> CacheEntry | None:
        """The entry of `path`, made from the file's on first use; a damaged one is no entry (one card read)."""
        entry = self.entries.get(path)
        if entry is None and path in self._unread:
            raw = self._unread.pop(path)
            try:
                entry = self.entries[path] = CacheEntry(
                    str(raw["e"]),
                    Marker(*raw["m"]) if raw["m"] else None,
                    tuple(map(str, raw["o"])),
                    _written(raw),
                    dict(raw.get("s") or {}),
                    int(raw.get("n") or 0),
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                self.dirty = True  # saved without it
        return entry

    def _set(self, path: str, entry: CacheEntry) -> None:
        if self._entry(path) != entry:
            self.entries[path] = entry
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        entries = dict(self._unread)  # as read: never made, never changed
        entries |= {
            p: {
                "e": e.etag, "m": [e.marker.database_id, e.marker.record_id] if e.marker else None, "o": list(e.order),
                "w": e.written, "n": e.seen, **({"s": e.sent} if e.sent else {}),
            }  # fmt: skip
            for p, e in self.entries.items()
        }
        data = json.dumps(
            {
                "version": CACHE_VERSION, "collection": self.collection, "tokens": self.tokens, "entries": entries,
                "gone": sorted(self.gone),
            },  # fmt: skip
            separators=(",", ":"),
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".carddav-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    file.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:  # the cache only saves downloads; the next pass reads the cards again
            log.warning("carddav: cannot write the marker cache in %s: %s", self.path.parent, exc.strerror)
            return
        self.dirty = False

    def _read(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != CACHE_VERSION or data.get("collection") != self.collection:
                return  # another address book (the option changed): start afresh
            unread = {str(path): entry for path, entry in data["entries"].items() if isinstance(entry, dict)}
            tokens = {str(t): int(n) for t, n in data["tokens"].items()}
            gone = {str(p) for p in data.get("gone", [])}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return  # a missing or damaged cache costs one full read (and a full listing)
        self._unread, self.tokens, self.gone = unread, tokens, gone


def _written(raw: dict[str, Any]) -> int | None:
    """An entry's `written` as the file holds it (None: not written by the hub, or not a number)."""
    try:
        return None if raw["w"] is None else int(raw["w"])
    except (KeyError, TypeError, ValueError):
        return None


PEEK_BYTES = 1 << 16  # the head of the cache file that holds its tokens (MAX_TOKENS of them)


def peek_latest_token(folder: Path, collection: str) -> str | None:
    """The latest change token of the cache, from the head of its file only; None when that cannot say.

    `save` writes version, collection and tokens before the entries, so the token a
    pass asks the server with is known without reading every entry (`prefetch`).
    """
    try:
        with open(Path(folder) / CACHE_FILE, "rb") as file:
            head = file.read(PEEK_BYTES).decode("utf-8", errors="replace")
        end = head.find(',"entries":')  # cannot occur inside a JSON string (its quotes are escaped)
        if end < 0:
            return None
        data = json.loads(head[:end] + "}")
        if data.get("version") != CACHE_VERSION or data.get("collection") != collection:
            return ""  # another address book: the cache starts afresh, with no token
        tokens = {str(t): int(n) for t, n in data["tokens"].items()}
    except FileNotFoundError:
        return ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return max(tokens, key=tokens.__getitem__, default="")


def extra_order(contact: Contact) -> tuple[str, ...]:
    """The names of the contact's unknown properties, in order, each once."""
    return tuple(dict.fromkeys(e.name.upper() for e in contact.extra if e.name.upper() not in MARKER_PROPS))


def restore_order(contact: Contact, order: tuple[str, ...]) -> Contact:
    """Put the unknown properties back in the order the hub wrote them (stable: same names keep theirs)."""
    if order:
        rank = {name: i for i, name in enumerate(order)}
        contact.extra = sorted(contact.extra, key=lambda e: rank.get(e.name.upper(), len(rank)))
    return contact
