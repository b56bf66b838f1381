"""Another CardDAV client (the user's phone): plain `requests` + vobject, none of the connector's code.

Used both to change the address book behind the hub's back and to check, from
the outside, what the hub left in it.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote, urljoin, urlsplit

import requests
import vobject
from defusedxml import ElementTree as ET

DAV = "{DAV:}"
CARD = "{urn:ietf:params:xml:ns:carddav}"
PROPFIND = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'


class Phone:
    def __init__(self, book_url: str, auth=None) -> None:
        self.book = book_url
        self.auth = auth
        self.session = requests.Session()

    def _request(self, method: str, url: str, body: str | bytes = b"", **headers) -> requests.Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.session.request(method, url, data=data, headers=headers, auth=self.auth, timeout=10)

    def url(self, href: str) -> str:
        return urljoin(self.book, href)

    def etags(self) -> dict[str, str]:
        """href path -> etag of every card in the book (Depth-1 PROPFIND)."""
        reply = self._request("PROPFIND", self.book, PROPFIND, Depth="1", **{"Content-Type": "application/xml"})
        assert reply.status_code == 207, reply.status_code
        found = {}
        for response in ET.fromstring(reply.content).findall(f"{DAV}response"):
            path = unquote(urlsplit(urljoin(self.book, response.findtext(f"{DAV}href"))).path)
            if response.find(f".//{DAV}resourcetype/{DAV}collection") is None:
                found[path] = response.findtext(f".//{DAV}getetag")
        return found

    def cards(self) -> dict[str, str]:
        """href path -> card text, read with an addressbook-multiget REPORT."""
        hrefs = list(self.etags())
        if not hrefs:
            return {}
        body = (
            '<?xml version="1.0"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
            "<d:prop><d:getetag/><c:address-data/></d:prop>" + "".join(f"<d:href>{h}</d:href>" for h in hrefs)
            + "</c:addressbook-multiget>"
        )
        reply = self._request("REPORT", self.book, body, Depth="1", **{"Content-Type": "application/xml"})
        assert reply.status_code == 207, reply.status_code
        return {
            unquote(urlsplit(urljoin(self.book, r.findtext(f"{DAV}href"))).path): r.findtext(f".//{CARD}address-data")
            for r in ET.fromstring(reply.content).findall(f"{DAV}response")
            if r.find(f".//{CARD}address-data") is not None
        }

    def parsed(self) -> dict[str, vobject.base.Component]:
        return {href: vobject.readOne(text) for href, text in self.cards().items()}

    def create(self, name: str, extra: str = "") -> str:
        """A plain card made on the phone; returns its href path."""
        path = urlsplit(self.book).path + f"phone-{uuid.uuid4().hex[:8]}.vcf"
        card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uuid.uuid4()}\r\nFN:{name}\r\nN:{name};;;;\r\n{extra}END:VCARD\r\n"
        reply = self._request("PUT", self.url(path), card, **{"Content-Type": "text/vcard", "If-None-Match": "*"})
        assert reply.status_code in (201, 204), reply.status_code
        return path

    def edit(self, path: str, pattern: str, replacement: str) -> None:
        """Edit a card's text in place (its marker lines stay, as phones keep X- properties)."""
        text = self.cards()[path].replace("\r\n", "\n").replace("\n", "\r\n")
        changed = re.sub(pattern, replacement, text, flags=re.M)
        assert changed != text, f"{pattern!r} not in {text!r}"
        reply = self._request("PUT", self.url(path), changed, **{"Content-Type": "text/vcard"})
        assert reply.status_code in (200, 201, 204), reply.status_code

    def move(self, path: str, card: str | None = None) -> str:
        """Upload the card again under a new href (as `card`, or as it is) after deleting the old one (S13).

        Delete first: a book refuses a second card with the same UID (RFC 6352
        section 6.3.2.1, CARDDAV:no-uid-conflict), so a client re-uploading a
        card under a new name cannot have both at once.
        """
        text = card if card is not None else self.cards()[path]
        self.delete(path)
        new_path = urlsplit(self.book).path + f"moved-{uuid.uuid4().hex[:8]}.vcf"
        reply = self._request("PUT", self.url(new_path), text, **{"Content-Type": "text/vcard", "If-None-Match": "*"})
        assert reply.status_code in (201, 204), reply.status_code
        return new_path

    def delete(self, path: str) -> None:
        reply = self._request("DELETE", self.url(path))
        assert reply.status_code in (200, 204), reply.status_code


def marker_of(card: vobject.base.Component) -> tuple[str, str] | None:
    contents = card.contents
    if "x-contacthub-database" in contents and "x-contacthub-record" in contents:
        return contents["x-contacthub-database"][0].value, contents["x-contacthub-record"][0].value
    return None
