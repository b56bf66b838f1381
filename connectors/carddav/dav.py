"""The WebDAV/CardDAV wire layer: requests through caldav's DAVClient, checked and typed.

caldav does the HTTP, the auth negotiation (basic, digest, bearer) and the
sessions; it has no address-book classes, so this module builds the RFC 6352 /
RFC 6578 request bodies and reads the multistatus replies itself. Replies are
parsed with defusedxml (no entities, no DTDs): the server is not trusted.

Every request has a timeout; a lost connection is retried a bounded number of
times with backoff; 429/503 wait for Retry-After (bounded) and then become
`Throttled`; the status codes map to the contract's typed errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

from caldav import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http
from defusedxml import ElementTree as SafeET

from contacthub.connector import AuthError, NotFound, TargetError, Throttled, WrongEtag

log = logging.getLogger(__name__)

DAV = "{DAV:}"
CARD = "{urn:ietf:params:xml:ns:carddav}"
XML_TYPE = "application/xml; charset=utf-8"  # Xandikos refuses text/plain bodies
VCARD_TYPE = "text/vcard; charset=utf-8"

CONNECT_RETRIES = 3  # a lost connection or a timeout is retried this often
BACKOFF = 0.5  # seconds before the first retry, doubled each time
THROTTLE_RETRIES = 2  # a 429/503 is waited out this often before Throttled is raised
MAX_THROTTLE_WAIT = 10.0  # seconds; a longer Retry-After is handed to the caller at once


@dataclass
class Entry:
    """One DAV:response of a multistatus: the href path (unquoted), its status, its 200-props."""

    path: str
    status: int
    props: dict[str, object] = field(default_factory=dict)  # Clark tag -> Element
    error: list[str] = field(default_factory=list)  # Clark tags inside DAV:error

    def text(self, tag: str) -> str:
        element = self.props.get(tag)
        return (element.text or "").strip() if element is not None else ""  # type: ignore[union-attr]

    def hrefs(self, tag: str) -> list[str]:
        element = self.props.get(tag)
        if element is None:
            return []
        return [(h.text or "").strip() for h in element.iter(f"{DAV}href") if (h.text or "").strip()]  # type: ignore[union-attr]

    def has_type(self, tag: str) -> bool:
        element = self.props.get(f"{DAV}resourcetype")
        return element is not None and element.find(tag) is not None  # type: ignore[union-attr]


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes
    attempts: int = 1  # > 1: an earlier send was lost in transit and may have been applied


class Unreachable(TargetError):
    """The server could not be reached (after retries): the whole batch, not one item, failed."""


class BadReply(TargetError):
    """The server's reply is not well-formed XML (e.g. a card holding a NUL inside a multiget)."""


class Dav:
    """One DAVClient plus what contacthub needs on top: retries, typed errors, multistatus."""

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        *,
        auth_type: str | None = None,
        verify_tls: bool | str = True,
        timeout: float = 30.0,
        sleep=time.sleep,
        tls_fingerprint: str | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.sleep = sleep
        self.client = DAVClient(
            url=url,
            username=username,
            password=password,
            auth_type=auth_type or None,
            timeout=timeout,
            ssl_verify_cert=verify_tls,
            enable_rfc6764=False,  # discovery is ours (discovery.py): no DNS look-ups behind our back
            rate_limit_handle=False,  # Retry-After is handled here, bounded
        )
        if tls_fingerprint:
            self.client.session.mount("https://", _PinnedAdapter(tls_fingerprint))
        split = urlsplit(url)
        self.origin = f"{split.scheme}://{split.netloc}"

    def close(self) -> None:
        self.client.close()

    # -- URLs -------------------------------------------------------------------

    def url_of(self, path: str) -> str:
        """The full URL of an (unquoted) server path."""
        return self.origin + quote(path, safe="/:@!$&'()*+,;=~")

    def path_of(self, href: str, base: str | None = None) -> str:
        """The unquoted path of an href as a server writes it (absolute, relative or a full URL)."""
        if href[:1] == "/" and href[1:2] != "/" and "/." not in href and "?" not in href and "#" not in href:
            return unquote(href)  # an absolute path, as most servers write hrefs: no urljoin per multistatus entry
        return unquote(urlsplit(urljoin(base or self.url, href)).path)

    # -- requests ----------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        *,
        what: str = "",
        follow: bool = True,
    ) -> Reply:
        """Send one request; returns the reply for any status the caller must judge (2xx, 404, 412 …).

        Raises AuthError (401/403), Throttled (429/503 after waiting), TargetError
        (unreachable after retries, 5xx).
        """
        what = what or f"{method} {url}"
        headers = dict(headers or {})
        if body and "Content-Type" not in headers:
            headers["Content-Type"] = XML_TYPE
        throttled = 0
        lost = 0
        while True:
            try:
                reply = self._send(method, url, body, headers) if follow else self._send_unfollowed(method, url, body, headers)
            except dav_error.AuthorizationError as exc:
                status = getattr(exc, "status", None) or 401
                preconditions = list(getattr(exc, "preconditions", None) or [])
                if status == 403 and preconditions:
                    # A 403 that names a precondition (valid-sync-token …) is not about credentials.
                    return Reply(403, {}, _as_bytes(getattr(exc, "body", b"")))
                raise AuthError(
                    f"carddav: {url} refused the credentials (HTTP {status}); check options username and password"
                ) from None
            except dav_error.RateLimitError as exc:
                wait = exc.retry_after_seconds
                throttled += 1
                if throttled > THROTTLE_RETRIES or (wait is not None and wait > MAX_THROTTLE_WAIT):
                    raise Throttled(
                        f"carddav: {url} asks to slow down (HTTP {exc.status or 429})", retry_after=wait or 0.0
                    ) from None
                self.sleep(wait if wait is not None else BACKOFF * 2**throttled)
                continue
            except (http.exceptions.RequestException, OSError) as exc:
                lost += 1
                if lost > CONNECT_RETRIES:
                    raise Unreachable(f"carddav: cannot reach {url} ({_reason(exc)})") from None
                log.info("carddav: %s: %s; retrying", what, _reason(exc))
                self.sleep(BACKOFF * 2 ** (lost - 1))
                continue
            except dav_error.DAVError as exc:
                raise TargetError(f"carddav: {what}: {exc.reason}") from None
            except Exception as exc:  # caldav parses XML replies eagerly: a broken one lands here
                raise BadReply(f"carddav: {what}: unreadable reply ({type(exc).__name__})") from None
            if reply.status == 503:  # without Retry-After (caldav raises for those with one)
                throttled += 1
                if throttled > THROTTLE_RETRIES:
                    raise Throttled(f"carddav: {url} is unavailable (HTTP 503)", retry_after=0.0)
                self.sleep(BACKOFF * 2**throttled)
                continue
            if reply.status >= 500 and reply.status != 507:
                raise TargetError(f"carddav: {what}: server error HTTP {reply.status}")
            reply.attempts = lost + 1
            return reply

    def _send(self, method: str, url: str, body: str, headers: dict[str, str]) -> Reply:
        response = self.client.request(url, method, body, headers)
        return Reply(response.status, dict(response.headers), _raw_bytes(response))

    def _send_unfollowed(self, method: str, url: str, body: str, headers: dict[str, str]) -> Reply:
        """A request whose redirects are returned, not followed (DAVClient always follows them)."""
        client = self.client
        for _ in range(2):
            response = client.session.request(
                method, url, data=body.encode("utf-8"), headers={**client.headers, **headers}, auth=client.auth,
                timeout=self.timeout, verify=client.ssl_verify_cert, allow_redirects=False,
            )
            # DAVClient picks its auth on the first 401 it meets itself; a server that answers
            # anonymous PROPFINDs on / (Cyrus) leaves none picked until here: pick it now, once.
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code != 401 or client.auth is not None or not client.username or not challenge:
                break
            client.build_auth_object(list(client.extract_auth_types(challenge)))
        dav_error.raise_if_rate_limited(response.status_code, url, response.headers.get("Retry-After"))
        if response.status_code == 401:
            raise dav_error.AuthorizationError(url=url, reason="unauthorized", status=401)
        return Reply(response.status_code, dict(response.headers), response.content or b"")

    def get(self, url: str) -> Reply:
        """A plain GET, its body kept as bytes (DAVClient would try to read a card as XML)."""
        return self.request("GET", url, "", {"Accept": "text/vcard"}, what=f"GET {url}", follow=False)

    def multistatus(self, reply: Reply, base: str, what: str) -> list[Entry]:
        """The DAV:response entries of a 207 reply."""
        if reply.status != 207:
            raise TargetError(f"carddav: {what}: expected a multistatus reply, got HTTP {reply.status}")
        return parse_multistatus(reply.body, lambda href: self.path_of(href, base), what)

    def propfind(self, url: str, props: Iterable[str], depth: int) -> list[Entry]:
        reply = self.request("PROPFIND", url, propfind_body(props), {"Depth": str(depth)}, what=f"PROPFIND {url}")
        if reply.status == 404:
            raise NotFound(f"carddav: {url} does not exist")
        return self.multistatus(reply, url, f"PROPFIND {url}")


class _PinnedAdapter(http.adapters.HTTPAdapter):
    """HTTPS that wants exactly the certificate with this SHA-256 fingerprint (option tls_fingerprint).

    urllib3 then checks the fingerprint instead of the host name, the chain
    still against verify_tls: `serve` reaches its own server by 127.0.0.1 with
    a certificate made for the name the phones use.
    """

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, assert_fingerprint=self.fingerprint, **kwargs)


def check_write(reply: Reply, url: str, op: str) -> None:
    """Map the status of a PUT/DELETE to the contract's errors."""
    if 200 <= reply.status < 300:
        return
    if reply.status == 412:
        raise WrongEtag(f"carddav: {url} changed since it was read")
    if reply.status in (404, 410):
        raise NotFound(f"carddav: {url} does not exist")
    if reply.status == 507:
        raise TargetError(f"carddav: {op} {url}: the address book is full (HTTP 507)")
    raise TargetError(f"carddav: {op} {url}: HTTP {reply.status}{_error_suffix(reply.body)}")


# -- XML ------------------------------------------------------------------------------


def propfind_body(props: Iterable[str]) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop>{_props(props)}</D:prop></D:propfind>'
    )


def sync_collection_body(token: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )


def multiget_body(hrefs: Iterable[str]) -> str:
    refs = "".join(f"<D:href>{escape(h)}</D:href>" for h in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        f"<D:prop><D:getetag/><C:address-data/></D:prop>{refs}</C:addressbook-multiget>"
    )


def _props(props: Iterable[str]) -> str:
    out = []
    for tag in props:
        if tag.startswith(DAV):
            out.append(f"<D:{tag[len(DAV):]}/>")
        elif tag.startswith(CARD):
            out.append(f"<C:{tag[len(CARD):]}/>")
        else:
            raise ValueError(tag)
    return "".join(out)


def parse_multistatus(body: bytes, path_of, what: str) -> list[Entry]:
    try:
        root = SafeET.fromstring(body)
    except Exception as exc:  # defusedxml refuses entities/DTDs; a broken reply is a server error
        raise BadReply(f"carddav: {what}: unreadable XML reply ({type(exc).__name__})") from None
    if root.tag != f"{DAV}multistatus":
        raise TargetError(f"carddav: {what}: reply is not a DAV multistatus")
    entries = []
    for response in root.findall(f"{DAV}response"):
        href = response.findtext(f"{DAV}href")
        if not href or not href.strip():
            continue
        status = _status(response.findtext(f"{DAV}status"))
        props: dict[str, object] = {}
        for propstat in response.findall(f"{DAV}propstat"):
            if _status(propstat.findtext(f"{DAV}status")) == 200:
                prop = propstat.find(f"{DAV}prop")
                for element in prop if prop is not None else []:
                    props[element.tag] = element
                status = status or 200
        error = response.find(f"{DAV}error")
        tags = [child.tag for child in error] if error is not None else []
        entries.append(Entry(path_of(href.strip()), status or 0, props, tags))
    return entries


def sync_token_of(body: bytes) -> str:
    root = SafeET.fromstring(body)
    return (root.findtext(f"{DAV}sync-token") or "").strip()


def error_tags(body: bytes) -> list[str]:
    """The precondition tags of a DAV:error body (empty for anything else)."""
    try:
        root = SafeET.fromstring(body)
    except Exception:
        return []
    return [child.tag for child in root] if root.tag == f"{DAV}error" else []


def _status(line: str | None) -> int:
    parts = (line or "").split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0


def _error_suffix(body: bytes) -> str:
    tags = error_tags(body)
    return f" ({', '.join(t.rpartition('}')[2] for t in tags)})" if tags else ""


def _as_bytes(body) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    return body if isinstance(body, bytes) else b""


def _raw_bytes(response) -> bytes:
    # caldav keeps the body as received (CRLF folded to LF, which XML parsing does anyway).
    return _as_bytes(getattr(response, "_raw", b"")) or _as_bytes(getattr(response, "_raw_body", b""))


def _reason(exc: BaseException) -> str:
    """A short, secret-free description of a connection failure."""
    name = type(exc).__name__
    if isinstance(exc, http.exceptions.Timeout) or "timeout" in name.lower():
        return "timed out"
    return name
