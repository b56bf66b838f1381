"""The WebDAV/CardDAV wire layer: requests through caldav's HTTP layer, checked and typed.

caldav gives the HTTP library (niquests, from caldav.lib.http_sync), the auth
objects (basic, digest, bearer) and the choice among the schemes a server
offers (caldav.lib.auth), its default headers and its error types; it has no
address-book classes, so this module builds the RFC 6352 / RFC 6578 request
bodies and reads the multistatus replies itself. Requests are sent on that
session by `Dav._send` (see there why not through DAVClient.request): replies
are capped in size (option max_reply_mb) and parsed as a stream with defusedxml
(no entities, no DTDs): the server is not trusted. Redirects are followed only
while finding the address book, on the same server, keeping the method.

Every request has a timeout; a lost connection is retried a bounded number of
times with backoff; 429/503 wait for Retry-After (bounded) and then become
`Throttled`; the status codes map to the contract's typed errors.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

from caldav import __version__ as caldav_version
from caldav.lib import error as dav_error
from caldav.lib.auth import extract_auth_types, select_auth_type
from caldav.lib.http_sync import requests as http
from caldav.requests import HTTPBearerAuth
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
DEFAULT_MAX_REPLY = 64 * 2**20  # bytes: the largest reply read (option max_reply_mb)
MAX_REDIRECTS = 5  # redirects followed in a row, while finding the address book only
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 1 << 16  # bytes read from the socket at a time
AUTH_SCHEMES = ("basic", "digest", "bearer")
_SCHEME_OF = {"HTTPBasicAuth": "basic", "HTTPDigestAuth": "digest", "HTTPBearerAuth": "bearer"}
# The headers caldav's DAVClient sends with every request (each request adds its own Content-Type).
CALDAV_HEADERS = {"User-Agent": f"python-caldav/{caldav_version}", "Content-Type": "text/xml", "Accept": "text/xml, text/calendar"}


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
    url: str = ""  # where the request ended (after the redirects followed)


class Unreachable(TargetError):
    """The server could not be reached (after retries): the whole batch, not one item, failed."""


class ReplyTooLarge(TargetError):
    """The reply passed the size cap (option max_reply_mb): refused, not read on."""


class BadReply(TargetError):
    """The server's reply is not well-formed XML (e.g. a card holding a NUL inside a multiget)."""


class Dav:
    """caldav's HTTP session and auth, plus what contacthub needs on top: retries, typed errors, multistatus.

    Not a caldav DAVClient: of it this module used only the session, the auth
    objects and the headers (never its request(), see `_send`), and importing it
    loads caldav's calendar side (icalendar, lxml, dateutil, yaml: ~50 ms), which
    an address book never uses and which held back the first request of every
    `contacthub sync run`. The auth objects and the scheme chosen from a
    server's challenge are caldav's, as DAVClient.build_auth_object makes them.
    """

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        *,
        auth_type: str | None = None,
        verify_tls: bool | str = True,
        timeout: float = 30.0,
        max_reply: int = DEFAULT_MAX_REPLY,
        sleep=time.sleep,
        tls_fingerprint: str | None = None,
        auth_hint: str | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_reply = max_reply
        self.sleep = sleep
        self.username = username
        self.password = password
        self.verify_tls = verify_tls
        self.headers = dict(CALDAV_HEADERS)
        self.session = http.Session()  # as DAVClient makes it (no multiplexing); discovery (RFC 6764) is ours
        if tls_fingerprint:
            self.session.mount("https://", _PinnedAdapter(tls_fingerprint))
        self.auth = _auth_object(auth_type, username, password) if auth_type else None
        # The scheme this server asked for last time (`auth_scheme`, kept by the connector): the
        # first request already carries the credentials instead of learning the scheme from a 401
        # each process. Only a scheme the server itself offered is kept; a 401 drops the guess.
        self._guessed = False
        if not auth_type and auth_hint in AUTH_SCHEMES and username and password:
            self.auth = _auth_object(select_auth_type([auth_hint], has_username=True, has_password=True), username, password)
            self._guessed = self.auth is not None
        split = urlsplit(url)
        self.origin = f"{split.scheme}://{split.netloc}"

    def close(self) -> None:
        self.session.close()

    @property
    def auth_scheme(self) -> str | None:
        """The auth scheme the requests carry now ("basic", "digest", "bearer"), or None."""
        return _SCHEME_OF.get(type(self.auth).__name__)

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
        body: str | bytes = "",
        headers: Mapping[str, str] | None = None,
        *,
        what: str = "",
        follow: bool = False,
        on_sent: Callable[[], None] | None = None,
    ) -> Reply:
        """Send one request; returns the reply for any status the caller must judge (2xx, 404, 412 …).

        Raises AuthError (401/403), Throttled (429/503 after waiting), ReplyTooLarge,
        TargetError (unreachable after retries, 5xx, a redirect). With `follow`
        (discovery only) a redirect on the same host is followed, the method kept,
        at most MAX_REDIRECTS times; the reply's `url` is where it ended. `on_sent` is called
        once the request's body is on the wire (niquests' on_upload hook), before the reply comes.
        """
        what = what or f"{method} {url}"
        headers = dict(headers or {})
        if body and "Content-Type" not in headers:
            headers["Content-Type"] = XML_TYPE
        throttled = 0
        lost = 0
        visited = [url]
        while True:
            try:
                reply = self._send(method, url, body, headers, what, on_sent)
            except dav_error.AuthorizationError as exc:
                raise AuthError(
                    f"carddav: {url} refused the credentials (HTTP {exc.status or 401}); check options username and password"
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
            except TargetError:
                raise
            except (http.exceptions.RequestException, OSError) as exc:
                lost += 1
                if lost > CONNECT_RETRIES:
                    raise Unreachable(f"carddav: cannot reach {url} ({_reason(exc)})") from None
                log.info("carddav: %s: %s; retrying", what, _reason(exc))
                self.sleep(BACKOFF * 2 ** (lost - 1))
                continue
            if reply.status in REDIRECTS:
                url = self._redirect(reply, visited, what, follow)
                continue
            if reply.status == 503:  # without Retry-After (caldav raises for those with one)
                throttled += 1
                if throttled > THROTTLE_RETRIES:
                    raise Throttled(f"carddav: {url} is unavailable (HTTP 503)", retry_after=0.0)
                self.sleep(BACKOFF * 2**throttled)
                continue
            if reply.status >= 500 and reply.status != 507:
                raise TargetError(f"carddav: {what}: server error HTTP {reply.status}")
            reply.attempts = lost + 1
            reply.url = url
            return reply

    def _redirect(self, reply: Reply, visited: list[str], what: str, follow: bool) -> str:
        """The URL to follow a redirect to, or TargetError naming the redirect."""
        location = reply.headers.get("Location") or reply.headers.get("location") or ""
        target = urljoin(visited[-1], location)
        moved = f"carddav: {what}: {visited[-1]} redirects (HTTP {reply.status}) to {target or 'nowhere'}"
        if not location:
            raise TargetError(moved)
        if urlsplit(target).scheme + "://" + urlsplit(target).netloc != self.origin:
            # The credentials are for this server only: another host never gets them.
            raise TargetError(f"{moved}, another server: not followed; set option location to that URL if you trust it")
        if not follow:
            raise TargetError(f"{moved}; set option location to the address book's URL")
        if target in visited:
            raise TargetError(f"{moved}, which was asked before: a redirect loop")
        if len(visited) > MAX_REDIRECTS:
            raise TargetError(f"{moved}: more than {MAX_REDIRECTS} redirects in a row")
        visited.append(target)
        return target

    def _send(
        self, method: str, url: str, body: str | bytes, headers: dict[str, str], what: str, on_sent: Callable[[], None] | None = None
    ) -> Reply:
        """One HTTP exchange on caldav's session, with its auth.

        Not DAVClient.request: it follows redirects (turning PROPFIND into GET
        after a 302, credentials and all, to any host), and reads every reply
        whole into an lxml tree (a 300 MB reply took 3.25 GB). Here a redirect is
        returned to `request`, and the body is read capped at `max_reply`.
        """
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        hooks = {"on_upload": [_when_sent(on_sent)]} if on_sent else None
        for _ in range(2):  # a second time once a 401 said which auth the server wants
            response = self.session.request(
                method, url, data=data, headers={**self.headers, **headers}, auth=self.auth,
                timeout=self.timeout, verify=self.verify_tls, allow_redirects=False, stream=True, hooks=hooks,
            )  # fmt: skip
            try:
                status = response.status_code
                challenge = response.headers.get("WWW-Authenticate")
                guessed, self._guessed = self._guessed, False  # a reply other than 401 confirms the guess
                if status == 401 and challenge and (self.auth is None or guessed) and self.username and self.password:
                    offered = extract_auth_types(challenge)
                    scheme = select_auth_type(offered, has_username=True, has_password=True)
                    self.auth = _auth_object(scheme, self.username, self.password)
                    if self.auth is not None:
                        continue
                dav_error.raise_if_rate_limited(status, url, response.headers.get("Retry-After"))
                content = b"" if status in REDIRECTS else self._read(response, what)
                if status == 401 or (status == 403 and not error_tags(content)):
                    # A 403 that names a precondition (valid-sync-token …) is not about credentials.
                    raise dav_error.AuthorizationError(url=url, reason="refused", status=status)
                return Reply(status, dict(response.headers), content)
            finally:
                response.close()
        raise dav_error.AuthorizationError(url=url, reason="refused", status=401)

    def _read(self, response, what: str) -> bytes:
        """The reply body, refused once it passes `max_reply` bytes (the server is not trusted)."""
        limit = self.max_reply
        too_large = ReplyTooLarge(
            f"carddav: {what}: the reply is larger than {limit / 2**20:g} MiB (option max_reply_mb); not read"
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        content = bytearray()
        for chunk in response.iter_content(CHUNK):
            content += chunk
            if len(content) > limit:
                raise too_large
        return bytes(content)

    def get(self, url: str) -> Reply:
        """A plain GET, its body kept as bytes."""
        return self.request("GET", url, "", {"Accept": "text/vcard"}, what=f"GET {url}")

    def multistatus(self, reply: Reply, base: str, what: str) -> Entries:
        """The DAV:response entries of a 207 reply."""
        if reply.status != 207:
            raise TargetError(f"carddav: {what}: expected a multistatus reply, got HTTP {reply.status}")
        return parse_multistatus(reply.body, lambda href: self.path_of(href, base), what)

    def propfind(self, url: str, props: Iterable[str], depth: int, *, follow: bool = False) -> list[Entry]:
        """The entries of a PROPFIND; with `follow` (discovery) redirects on the same host are followed."""
        reply = self.request("PROPFIND", url, propfind_body(props), {"Depth": str(depth)}, what=f"PROPFIND {url}", follow=follow)
        if reply.status == 404:
            raise NotFound(f"carddav: {url} does not exist")
        return self.multistatus(reply, reply.url or url, f"PROPFIND {url}")


def _when_sent(on_sent: Callable[[], None]):
    """A niquests on_upload hook calling `on_sent` once the whole body is sent."""

    def hook(request):
        progress = request.upload_progress
        if progress is not None and progress.is_completed:
            on_sent()
        return request

    return hook


def _auth_object(scheme: str | None, username: str | None, password: str | None):
    """caldav's auth object for a scheme, as DAVClient.build_auth_object makes it; None for no scheme."""
    if scheme == "digest":
        return http.auth.HTTPDigestAuth(username, password)
    if scheme == "basic":
        return http.auth.HTTPBasicAuth(username, password)
    if scheme == "bearer":
        return HTTPBearerAuth(password)
    return None


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


class Entries(list):
    """The DAV:response entries of a multistatus, plus its DAV:sync-token ("" when none)."""

    token: str = ""


def parse_multistatus(body: bytes, path_of, what: str) -> Entries:
    """Read a multistatus as a stream: each DAV:response is taken and let go of as it ends.

    defusedxml's iterparse (no entities, no DTDs), not a whole tree: the tree of a
    large sync-collection answer is many times its size.
    """
    entries = Entries()
    root = None
    try:
        for event, element in SafeET.iterparse(io.BytesIO(body), events=("start", "end")):
            if root is None:
                root = element
                if root.tag != f"{DAV}multistatus":
                    raise TargetError(f"carddav: {what}: reply is not a DAV multistatus")
            elif event == "end" and element.tag == f"{DAV}response" and element in root:
                entry = _entry(element, path_of)
                if entry is not None:
                    entries.append(entry)
                root.remove(element)  # its props live on in the entry; the rest goes
            elif event == "end" and element.tag == f"{DAV}sync-token" and element in root:
                entries.token = (element.text or "").strip()
    except TargetError:
        raise
    except Exception as exc:  # defusedxml refuses entities/DTDs; a broken reply is a server error
        raise BadReply(f"carddav: {what}: unreadable XML reply ({type(exc).__name__})") from None
    if root is None:
        raise BadReply(f"carddav: {what}: empty reply")
    return entries


def _entry(response, path_of) -> Entry | None:
    href = response.findtext(f"{DAV}href")
    if not href or not href.strip():
        return None
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
    return Entry(path_of(href.strip()), status or 0, props, tags)


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


def _reason(exc: BaseException) -> str:
    """A short, secret-free description of a connection failure."""
    name = type(exc).__name__
    if isinstance(exc, http.exceptions.Timeout) or "timeout" in name.lower():
        return "timed out"
    return name
