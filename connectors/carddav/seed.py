"""Filling an empty address book with one request (Radicale; target option `bulk_seed`).

Why: Radicale checks every new card's UID against every card in the book and
cleans its history after each PUT, under its write lock, so N single PUTs cost
O(N²) on the server (a first sync of 5,000 cards took over 20 minutes, 98 % of
it Radicale's CPU). Radicale also takes a PUT of a whole address book (the body
holds every card) and stores it in one go.

Such a PUT replaces what the book holds, so it is only sent to a book that is
empty, with If-Match on the book's etag taken from the same reply that showed it
empty: a card a phone adds in between makes the PUT fail (412) instead of being
lost. Radicale names each stored card after its UID (``UID.vcf``), so the hub
knows every card's href without downloading it; a card whose UID makes no safe,
unique name is left out of the seed and created on its own afterwards. A PUT of
a whole book drops the book's properties, so its name and description are put
back. Other servers answer such a PUT with an error and are not changed: the
caller then creates the cards one by one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from caldav.lib.python_utilities import WireBytes

from contacthub.connector import TargetError
from contacthub.connectors.carddav.dav import CARD, DAV, VCARD_TYPE, Dav, Unreachable, sync_collection_body

log = logging.getLogger(__name__)

SUFFIX = ".vcf"
MAX_SEED_BYTES = 50_000_000  # below Radicale's default max_content_length (100 MB); later cards go one by one
# A name Radicale stores as is and every file system accepts (no dot first, no separators, not too long).
_SAFE_UID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_@+=.-]{0,150}")
_KEPT_PROPS = (f"{DAV}displayname", f"{CARD}addressbook-description")


@dataclass
class SeedCard:
    index: int  # position in the requests
    name: str  # the href name Radicale will give it
    order: tuple[str, ...]  # the unknown properties' order as written (for the marker cache)


@dataclass
class BookState:
    """An empty book as one Depth-1 PROPFIND saw it: its etag (the PUT's precondition) and kept properties."""

    etag: str
    props: dict[str, str]


def seed_name(uid: str) -> str | None:
    """The href name Radicale gives a card with this UID in a whole-book PUT; None when unsafe."""
    if not _SAFE_UID.fullmatch(uid) or uid.endswith("."):
        return None
    return uid if uid.lower().endswith(SUFFIX) else uid + SUFFIX


class SeedBody:
    """The cards of a seed, taken one at a time: each card's bytes go into the body at once,
    so a first sync of thousands never holds their contacts or texts all together."""

    def __init__(self) -> None:
        self.cards: list[SeedCard] = []
        self._parts: list[bytes] = []
        self._taken: set[str] = set()
        self._size = 0

    def add(self, index: int, uid: str, text: str, order: tuple[str, ...]) -> bool:
        """Take the card if it can go in: a safe UID, a name no other card takes, within the size cap."""
        name = seed_name(uid)
        data = (text if text.endswith("\n") else text + "\r\n").encode("utf-8")
        # casefold: a case-insensitive file system would give the second of two such names another one
        if name is None or name.casefold() in self._taken or self._size + len(data) > MAX_SEED_BYTES:
            return False
        self._taken.add(name.casefold())
        self._size += len(data)
        self._parts.append(data)
        self.cards.append(SeedCard(index, name, order))
        return True

    def take(self) -> WireBytes:
        """The body, as bytes caldav sends as they are (it would otherwise copy them three times
        to normalise line ends; vCards already end their lines with CRLF)."""
        body = WireBytes(b"".join(self._parts))
        self._parts.clear()
        return body


def empty_book(dav: Dav, collection: str) -> BookState | None:
    """The book's state when it holds nothing (not even a sub-collection), else None."""
    book_etag, props, holds_anything = _book_state(dav, collection)
    return BookState(book_etag, props) if book_etag and not holds_anything else None


def fill(dav: Dav, collection: str, book: BookState, body: SeedBody) -> dict[int, tuple[str, str]] | None:
    """PUT the cards as the whole of the empty book; request index -> (href path, etag) of each card stored.

    None when nothing was changed (a card arrived since the book was seen
    empty, or the server refuses such a PUT): the caller creates the cards one
    by one. Raises TargetError when the outcome is unknown and the book is no
    longer empty; the next pass then adopts the cards that arrived (they carry
    their markers).
    """
    if not body.cards:
        return None
    url = dav.url_of(collection)
    data = body.take()
    try:
        reply = dav.request("PUT", url, data, {"Content-Type": VCARD_TYPE, "If-Match": book.etag}, what=f"PUT {url} (all cards)")
    except Unreachable:
        if _book_state(dav, collection)[2]:
            raise TargetError(f"carddav: {url}: the reply to filling the address book was lost; the next pass picks up what arrived") from None
        raise
    del data
    applied = 200 <= reply.status < 300 or (reply.status == 412 and reply.attempts > 1)  # our lost first send did it
    if not applied:
        log.info("carddav: %s does not take a whole address book (HTTP %s); writing the cards one by one", url, reply.status)
        return None
    _restore_props(dav, url, book.props)
    listing = _etags(dav, collection)
    stored = {}
    for card in body.cards:
        path = collection + card.name
        if path in listing:
            stored[card.index] = (path, listing[path])
    return stored


def _etags(dav: Dav, collection: str) -> dict[str, str]:
    """href path -> etag of the book's cards, from a sync-collection REPORT without a token.

    Not a PROPFIND: Radicale writes a history entry per card at the first
    sync-collection after cards arrive outside single PUTs (5,000 of them took
    it 4 s of CPU). Asked here, that cost is part of the first sync, not of the
    pass after it. Only the etag is asked: the reply of thousands stays small.
    """
    url = dav.url_of(collection)
    reply = dav.request("REPORT", url, sync_collection_body(""), {"Depth": "0"}, what=f"sync-collection on {url}")
    if reply.status == 207:
        entries = dav.multistatus(reply, url, "sync-collection")
    else:  # no sync-collection here
        entries = dav.propfind(url, [f"{DAV}getetag"], 1)
    return {e.path: e.text(f"{DAV}getetag") for e in entries if e.status == 200 and e.path.rstrip("/") != collection.rstrip("/")}


def _book_state(dav: Dav, collection: str) -> tuple[str, dict[str, str], bool]:
    """(the book's etag, its kept properties, whether it holds anything), from one Depth-1 PROPFIND."""
    # resourcetype: every resource has it, so each member answers with a found property
    entries = dav.propfind(dav.url_of(collection), [f"{DAV}getetag", f"{DAV}resourcetype", *_KEPT_PROPS], 1)
    book_etag, props, holds_anything = "", {}, False
    for entry in entries:
        if entry.path.rstrip("/") == collection.rstrip("/"):
            book_etag = entry.text(f"{DAV}getetag")
            props = {tag: entry.text(tag) for tag in _KEPT_PROPS if entry.text(tag)}
        elif entry.status == 200:  # a sub-collection counts too: a whole-book PUT would remove it
            holds_anything = True
    return book_etag, props, holds_anything


def _restore_props(dav: Dav, url: str, props: dict[str, str]) -> None:
    """Put the book's name and description back (a whole-book PUT keeps only its type)."""
    if not props:
        return
    names = {f"{DAV}displayname": "D:displayname", f"{CARD}addressbook-description": "C:addressbook-description"}
    values = "".join(f"<{names[tag]}>{escape(value)}</{names[tag]}>" for tag, value in props.items())
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        f"<D:set><D:prop>{values}</D:prop></D:set></D:propertyupdate>"
    )
    reply = dav.request("PROPPATCH", url, body, {}, what=f"PROPPATCH {url}")
    if reply.status not in (200, 207):
        log.warning("carddav: %s: could not restore the address book's name (HTTP %s)", url, reply.status)
