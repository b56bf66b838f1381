"""From the URL the user gave to one address book (RFC 6764 / RFC 6352 section 7).

The URL may be the address book itself, a home set, a principal, or the bare
server. Steps: the URL's own properties; its current-user-principal's
addressbook-home-set; failing that, /.well-known/carddav; the home set's
address books. With several and no `addressbook` option, the error lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.connector import NotFound, TargetError
from contacthub.connectors.carddav.dav import CARD, DAV, Dav, Entry, propfind_body

PROBE = (f"{DAV}resourcetype", f"{DAV}current-user-principal", f"{CARD}addressbook-home-set", f"{DAV}displayname")


@dataclass(frozen=True)
class AddressBook:
    path: str  # unquoted, ends with "/"
    name: str  # display name, or the last path segment

    def matches(self, wanted: str) -> bool:
        wanted = wanted.strip()
        segment = self.path.rstrip("/").rpartition("/")[2]
        return wanted in (self.name, segment, self.path, self.path.rstrip("/"))


def find_addressbook(dav: Dav, wanted: str = "") -> AddressBook:
    """The address book to sync; TargetError naming the choices when it is ambiguous."""
    books = addressbooks(dav)
    if wanted:
        chosen = [b for b in books if b.matches(wanted)]
        if not chosen:
            raise TargetError(f"carddav: {dav.url} has no address book {wanted!r}; it has {_names(books)}")
        return chosen[0]
    if not books:
        raise TargetError(f"carddav: {dav.url} holds no address book")
    if len(books) > 1:
        raise TargetError(
            f"carddav: {dav.url} has {len(books)} address books ({_names(books)}); choose one with option addressbook"
        )
    return books[0]


def addressbooks(dav: Dav) -> list[AddressBook]:
    """Every address book reachable from the URL (just that one when it is an address book)."""
    try:
        (own, *_) = _at(dav, dav.url, 0) or [None]
    except NotFound:
        own = None
    if own is not None and own.has_type(f"{CARD}addressbook"):
        return [_book(own)]
    homes = _home_sets(dav, own, dav.url)
    if not homes:
        homes = _home_sets(dav, _well_known(dav), dav.origin + "/")
    if not homes and own is not None:
        homes = [own.path]  # perhaps the URL is a home set that announces nothing
    books: dict[str, AddressBook] = {}
    for home in homes:
        for entry in _at(dav, dav.url_of(home), 1):
            if entry.has_type(f"{CARD}addressbook"):
                book = _book(entry)
                books.setdefault(book.path, book)
    return sorted(books.values(), key=lambda b: b.path)


def _at(dav: Dav, url: str, depth: int) -> list[Entry]:
    return [e for e in dav.propfind(url, PROBE, depth, follow=True) if e.status == 200]


def _home_sets(dav: Dav, entry: Entry | None, base: str) -> list[str]:
    if entry is None:
        return []
    homes = [dav.path_of(h, base) for h in entry.hrefs(f"{CARD}addressbook-home-set")]
    if homes:
        return homes
    for principal in entry.hrefs(f"{DAV}current-user-principal"):
        url = dav.url_of(dav.path_of(principal, base))
        try:
            found = _at(dav, url, 0)
        except NotFound:
            continue
        for candidate in found:
            homes += [dav.path_of(h, url) for h in candidate.hrefs(f"{CARD}addressbook-home-set")]
    return homes


def _well_known(dav: Dav) -> Entry | None:
    """PROPFIND /.well-known/carddav (RFC 6764 section 5), following its redirect on the same server."""
    url = dav.origin + "/.well-known/carddav"
    reply = dav.request("PROPFIND", url, propfind_body(PROBE), {"Depth": "0"}, what=f"PROPFIND {url}", follow=True)
    if reply.status != 207:
        return None  # no such service announced here (404, 405, an HTML page …)
    found = [e for e in dav.multistatus(reply, reply.url, f"PROPFIND {url}") if e.status == 200]
    return found[0] if found else None


def _book(entry: Entry) -> AddressBook:
    path = entry.path if entry.path.endswith("/") else entry.path + "/"
    return AddressBook(path, entry.text(f"{DAV}displayname") or path.rstrip("/").rpartition("/")[2])


def _names(books: list[AddressBook]) -> str:
    return ", ".join(f"{b.name!r} at {b.path}" for b in books) or "none"
