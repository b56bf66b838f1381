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
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from caldav.lib.python_utilities import WireBytes

from contacthub.connector import TargetError, WriteRequest
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
    text: str  # the vCard


def seed_name(uid: str) -> str | None:
    """The href name Radicale gives a card with this UID in a whole-book PUT; None when unsafe."""
    if not _SAFE_UID.fullmatch(uid) or uid.endswith("."):
        return None
    return uid if uid.lower().endswith(SUFFIX) else uid + SUFFIX


def choose(requests: Sequence[WriteRequest], texts: Sequence[str | None]) -> list[SeedCard]:
    """The requests that can go in the seed: a safe UID, a name no other card takes, within the size cap."""
    cards: list[SeedCard] = []
    taken: set[str] = set()
    size = 0
    for index, (request, text) in enumerate(zip(requests, texts, strict=True)):
        name = seed_name(request.contact.uid) if request.contact is not None and text is not None else None
        if name is None or name.casefold() in taken or size + len(text) > MAX_SEED_BYTES:  # type: ignore[arg-type]
            continue
        taken.add(name.casefold())  # casefold: a case-insensitive file system would give the second another name
        size += len(text)  # type: ignore[arg-type]
        cards.append(SeedCard(index, name, text))  # type: ignore[arg-type]
    return cards


def seed(dav: Dav, collection: str, cards: list[SeedCard]) -> dict[int, tuple[str, str]] | None:
    """PUT `cards` as the whole of the empty book; request index -> (href path, etag) of each card stored.

    None when nothing was changed (the book is not empty, or the server refuses
    such a PUT): the caller creates the cards one by one. Raises TargetError
    when the outcome is unknown and the book is no longer empty; the next pass
    then adopts the cards that arrived (they carry their markers).
    """
    url = dav.url_of(collection)
    book_etag, props, members = _book_state(dav, collection)
    if members or not book_etag or not cards:
        return None
    body = _body(cards)
    try:
        reply = dav.request("PUT", url, body, {"Content-Type": VCARD_TYPE, "If-Match": book_etag}, what=f"PUT {url} (all cards)")
    except Unreachable:
        if _book_state(dav, collection)[2]:
            raise TargetError(f"carddav: {url}: the reply to filling the address book was lost; the next pass picks up what arrived") from None
        raise
    applied = 200 <= reply.status < 300 or (reply.status == 412 and reply.attempts > 1)  # our lost first send did it
    if not applied:
        log.info("carddav: %s does not take a whole address book (HTTP %s); writing the cards one by one", url, reply.status)
        return None
    del body
    _restore_props(dav, url, props)
    listing = _etags(dav, collection)
    stored = {}
    for card in cards:
        path = collection + card.name
        if path in listing:
            stored[card.index] = (path, listing[path])
    return stored


def _body(cards: list[SeedCard]) -> WireBytes:
    """All cards as one body, in bytes sent as they are (caldav would otherwise copy it three
    times to normalise line ends; vCards already end their lines with CRLF). The cards' own
    texts are let go once in the body: a first sync's peak memory is what is held at once."""
    parts = []
    for card in cards:
        parts.append((card.text if card.text.endswith("\n") else card.text + "\r\n").encode("utf-8"))
        card.text = ""
    body = WireBytes(b"".join(parts))
    parts.clear()
    return body


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


def _book_state(dav: Dav, collection: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(the book's etag, its kept properties, href path -> etag of its cards), from one Depth-1 PROPFIND."""
    entries = dav.propfind(dav.url_of(collection), [f"{DAV}getetag", f"{DAV}resourcetype", *_KEPT_PROPS], 1)
    book_etag, props, members = "", {}, {}
    for entry in entries:
        if entry.path.rstrip("/") == collection.rstrip("/"):
            book_etag = entry.text(f"{DAV}getetag")
            props = {tag: entry.text(tag) for tag in _KEPT_PROPS if entry.text(tag)}
        elif entry.status == 200:  # a sub-collection counts too: a whole-book PUT would remove it
            members[entry.path] = entry.text(f"{DAV}getetag")
    return book_etag, props, members


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
