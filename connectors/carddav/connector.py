"""CardDavConnector: one address book on a CardDAV server (RFC 6352), two-way.

The remote id is the card's href path on the server; new cards get a name made
from a fresh uuid (never from the contact's UID). Changes come from RFC 6578
sync-collection with the token the engine stores; markers come from a cache
keyed by href and etag, so only cards whose etag is new are downloaded
(addressbook-multiget, in bounded chunks).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contacthub.connector import (
    AuthError,
    Capabilities,
    ChangeSet,
    ConnectorContext,
    ConnectorError,
    NotFound,
    RemoteItem,
    RemoteRef,
    Result,
    TargetError,
    Throttled,
    TokenExpired,
    WriteRequest,
)
from contacthub.connectors.carddav.auth_memo import AuthMemo
from contacthub.connectors.carddav.book_memo import BookMemo
from contacthub.connectors.carddav.dav import (
    CARD,
    DAV,
    DEFAULT_MAX_REPLY,
    VCARD_TYPE,
    BadReply,
    Dav,
    Entry,
    ReplyTooLarge,
    Unreachable,
    check_write,
    error_tags,
    multiget_body,
    sync_collection_body,
)
from contacthub.connectors.carddav.discovery import find_addressbook
from contacthub.connectors.carddav.markers import MarkerCache, extra_order, peek_latest_token, restore_order
from contacthub.connectors.carddav.rewrites import reencoded_fields, undo_reencoding
from contacthub.connectors.carddav.seed import SeedBody, empty_book, fill
from contacthub.connectors.vcard_marker import scan_marker, scan_revision, strip_marker, vcard_text
from contacthub.errors import ConfigError
from contacthub.model import Contact

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MULTIGET_CHUNK = 50  # cards per addressbook-multiget
READ_AHEAD_BYTES = 32 * 2**20  # cards downloaded for their marker kept for fetch() in one pass, at most
MAX_SYNC_ROUNDS = 1000  # truncated sync-collection replies followed at most this often
# Seconds prefetch() (and the cache read beside it) wait for the head start's request to be sent, at most:
# a server on this machine or the LAN has it in a few ms; a far one (TLS handshake) costs at most this
# much of the overlap with the database's imports.
SEND_WAIT = 0.1
SUFFIX = ".vcf"
AUTH_TYPES = ("basic", "digest", "bearer")
# A write error that is not about one item: the rest of the batch is not sent.
BATCH_FATAL = (AuthError, Throttled, Unreachable)


class CardDavConnector:
    """One CardDAV address book. Open it with `CardDavConnector.open(options, context)`."""

    name = "carddav"
    description = "A CardDAV address book (Radicale, Xandikos, Nextcloud, iCloud, phones …)"
    capabilities = Capabilities(
        incremental=True,  # RFC 6578 sync-collection
        push=False,
        batch_size=100,
        fields=frozenset(f.name for f in dataclasses.fields(Contact)),  # a vCard holds everything
    )

    def __init__(self, dav: Dav, cache_dir, addressbook: str = "") -> None:
        self.dav = dav
        self.cache_dir = cache_dir
        self.wanted = addressbook
        self._collection = ""  # the address book's path, once discovered
        self._cache: MarkerCache | None = None
        self.notify_file: Path | None = None  # option notify_file: touched by the server on every change
        self._observer = None  # the watchdog observer while notify() is on
        self.bulk_seed = False  # option bulk_seed: fill an empty book with one request (Radicale)
        self._seen_empty = False  # this pass's full listing found the book empty
        self._prefetching: threading.Thread | None = None  # prefetch() at work
        self._early: tuple[str, Any] | None = None  # (token, sync-collection reply or its error) that prefetch() got
        self._sent = threading.Event()  # set once prefetch()'s REPORT is on the wire (or it sends none)
        self._read_ahead: dict[str, tuple[str, bytes]] = {}  # cards the marker scan downloaded, for fetch()
        self._auth_memo: AuthMemo | None = None  # the auth scheme the server asked for, kept for the next process
        self._book_memo: BookMemo | None = None  # the address book's path, kept for the next process

    @classmethod
    def open(cls, options: Mapping[str, Any], context: ConnectorContext) -> CardDavConnector:
        location = str(options.get("location") or "").strip()
        if not location:
            raise ConfigError("carddav: option 'location' (the server or address book URL) is missing")
        split = urlsplit(location)
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ConfigError(f"carddav: location {location!r} is not an http(s) URL")
        if split.username or split.password:
            # Credentials in the URL would end up in logs and error messages.
            raise ConfigError("carddav: put the user name in option 'username' and the password in option 'password', not in the URL")
        auth_type = str(options.get("auth") or "").lower() or None
        if auth_type not in (None, *AUTH_TYPES):
            raise ConfigError(f"carddav: option auth must be one of {', '.join(AUTH_TYPES)}, not {auth_type!r}")
        password = options.get("password")
        secret = context.secret(password) if password not in (None, "") else None
        verify = _verify_tls(options.get("verify_tls", True))
        if verify is False:
            log.warning("carddav: TLS certificate checks are OFF for %s (option verify_tls)", location)
        try:
            timeout = float(options.get("timeout", 30))
        except (TypeError, ValueError):
            raise ConfigError(f"carddav: option timeout must be seconds, not {options.get('timeout')!r}") from None
        try:
            max_reply = int(float(options.get("max_reply_mb", DEFAULT_MAX_REPLY / 2**20)) * 2**20)
        except (TypeError, ValueError):
            max_reply = 0
        if max_reply <= 0:
            raise ConfigError(f"carddav: option max_reply_mb must be a size in MiB, not {options.get('max_reply_mb')!r}")
        username = str(options["username"]) if options.get("username") not in (None, "") else None
        pin = _fingerprint(options.get("tls_fingerprint"))
        hint = AuthMemo(context.cache_dir, location, username) if secret and not auth_type else None
        dav = Dav(location, username, secret, auth_type=auth_type, verify_tls=verify, timeout=timeout, max_reply=max_reply,
                  tls_fingerprint=pin, auth_hint=hint.scheme if hint else None)  # fmt: skip
        connector = cls(dav, context.cache_dir, str(options.get("addressbook") or ""))
        connector._auth_memo = hint
        connector._book_memo = BookMemo(context.cache_dir, location, username, connector.wanted)
        if options.get("notify_file"):
            # A server on this machine touches the file after every write (the embedded
            # Radicale's storage hook): push for this instance only.
            connector.notify_file = Path(str(options["notify_file"])).expanduser()
            connector.capabilities = dataclasses.replace(cls.capabilities, push=True)
        connector.bulk_seed = _flag(options.get("bulk_seed", False), "bulk_seed")
        return connector

    # -- the contract ---------------------------------------------------------

    def check(self) -> None:
        """Find the address book and prove the credentials on it (on first use).

        Once found, every pass's own requests prove both again (a 401 is an
        AuthError, a 404 NotFound), so a connector kept open by `sync watch`
        spends no request on it. While prefetch() is at work it is not waited
        for: it finds the book itself, and the pass's next call meets (and
        reports) whatever it could not do, so the hub's own set-up overlaps the
        server's answer.
        """
        if self._prefetching is not None:
            return
        self._book()

    def list(self) -> Iterator[RemoteRef]:
        self._read_ahead.clear()
        members = self._etags()
        self._seen_empty = not members
        try:
            refs = self._with_markers(members)
            self._marker_cache().keep_only(set(refs))
        finally:
            self._marker_cache().save()
        return iter(list(refs.values()))

    def changes(self, token: str) -> ChangeSet:
        collection = self._book()
        if token and (not token.isprintable() or len(token) > 4096):
            raise TokenExpired("carddav: the stored change token is not one a server hands out")
        self._read_ahead.clear()
        answer = self._sync_rounds(collection, token)
        if answer is None:
            return self._listing_as_changes()  # no sync-collection here: every pass lists
        changed, deleted, new_token = answer
        if token and self._lists_everything(token, changed, deleted):
            # Asked again without a token, not read as the listing: were the answer honest
            # after all, its absent cards would read as deleted.
            raise TokenExpired(
                f"carddav: {self.dav.url_of(collection)} answered the change token with cards unchanged since; "
                "listing everything"
            )
        self._seen_empty = not token and not changed
        cache = self._marker_cache()
        try:
            if token:
                self._add_own_writes(token, changed, deleted)
            lost = cache.take_gone()
            if token:
                deleted |= lost - set(changed)
            cache.issued(new_token)  # first: the etags read below are known from this token on
            refs = self._with_markers(changed)
            if token:
                for path in deleted:
                    cache.drop(path)
            else:
                cache.keep_only(set(refs))
        finally:
            cache.save()
        return ChangeSet(changed=list(refs.values()), deleted=sorted(deleted) if token else [], token=new_token)

    def _sync_rounds(self, collection: str, token: str) -> tuple[dict[str, str], set[str], str] | None:
        """(changed href -> etag, deleted hrefs, the new token) since `token`, truncated answers followed;
        None when the server has no sync-collection."""
        changed: dict[str, str] = {}
        deleted: set[str] = set()
        current = token
        early, self._early = self._early, None
        for _ in range(MAX_SYNC_ROUNDS):
            if early is not None and early[0] == current:
                reply, early = early[1], None  # prefetch() asked this already
                if isinstance(reply, Exception):
                    raise reply  # a reply too large is not asked for again
            else:
                reply = self._sync_report(collection, current)
            if reply.status != 207:
                if not token and reply.status in (400, 403, 405, 501) and not error_tags(reply.body):
                    return None
                if token and (reply.status == 412 or f"{DAV}valid-sync-token" in error_tags(reply.body)):
                    # Servers differ (Radicale 403, Xandikos 412): either way, list everything.
                    raise TokenExpired(f"carddav: {self.dav.url_of(collection)} no longer knows the change token")
                if reply.status == 404:
                    raise NotFound(f"carddav: address book {self.dav.url_of(collection)} does not exist")
                raise TargetError(f"carddav: sync-collection on {self.dav.url_of(collection)}: HTTP {reply.status}")
            truncated = False
            entries = self.dav.multistatus(reply, self.dav.url_of(collection), "sync-collection")
            for entry in entries:
                if entry.path.rstrip("/") == collection.rstrip("/"):
                    truncated = truncated or entry.status == 507 or f"{DAV}number-of-matches-within-limits" in entry.error
                elif not self._is_member(entry.path):
                    continue
                elif entry.status == 404:
                    deleted.add(entry.path)
                    changed.pop(entry.path, None)
                elif entry.status == 200 and entry.text(f"{DAV}getetag") and f"{DAV}getetag" in entry.props:
                    changed[entry.path] = entry.text(f"{DAV}getetag")
                    deleted.discard(entry.path)
            new_token = entries.token
            if not new_token:
                raise TargetError(f"carddav: sync-collection on {self.dav.url_of(collection)} returned no sync token")
            if not truncated:
                return changed, deleted, new_token
            if new_token == current:
                raise TargetError(f"carddav: {self.dav.url_of(collection)} truncates its changes without progress")
            current = new_token  # the server sent part of the changes: ask for the rest
        raise TargetError(f"carddav: {self.dav.url_of(collection)} keeps truncating its changes")

    def _lists_everything(self, token: str, changed: dict[str, str], deleted: set[str]) -> bool:
        """Whether the changes since `token` are really the whole book.

        RFC 6578 section 3.2 wants a server to refuse a token it knows not of
        (valid-sync-token); some answer 207 with every card instead (DAViCal: "a
        sync token we know not of, so provide a full sync"). Read as changes, the
        cards deleted meanwhile would go unnoticed. Such an answer gives itself
        away by listing cards that did not change since the token: an etag the
        hub knew before the token was handed out.
        """
        if deleted:
            return False  # a listing reports no deletions
        cache = self._marker_cache()
        return any(cache.known_before(path, etag, token) for path, etag in changed.items())

    def _sync_report(self, collection: str, token: str, on_sent: Callable[[], None] | None = None):
        url = self.dav.url_of(collection)
        body = sync_collection_body(token)
        return self.dav.request("REPORT", url, body, {"Depth": "0"}, what=f"sync-collection on {url}", on_sent=on_sent)

    def prefetch(self) -> None:
        """Start finding the book and asking what changed since the last token handed out, in the background.

        A head start for one whole `contacthub sync run`: the server works on its
        answer (0.3 s at 5,000 cards on Radicale) while the hub loads its database.
        Every other method waits for it first, and changes(token) uses the answer
        only when asked for that very token (a pass that failed kept an older one);
        whatever goes wrong here is left for the pass to meet and report.

        Returns once the REPORT is on the wire (or after SEND_WAIT): the caller's
        next work (importing the database side) and the marker cache's read hold
        the GIL for tens of milliseconds, and the request must not wait for them
        to go out (it did: 40-50 ms between connect and send at 5,000 cards).
        """
        if self._prefetching is None:
            self._sent.clear()
            self._prefetching = threading.Thread(target=self._prefetch, name="carddav-prefetch", daemon=True)
            self._prefetching.start()
            self._sent.wait(SEND_WAIT)

    def _prefetch(self) -> None:
        try:
            if self._remembered_book():
                return
            self._sent.set()  # finding the book takes round trips: the caller goes on meanwhile
            collection = self._book()
            token = peek_latest_token(self.cache_dir, self.dav.url_of(collection))
            if token is None:  # no quick look: the whole cache says
                token = self._marker_cache().latest_token()
                self._ask_early(collection, token)
                return
            # The question goes out at once; the cache (66 ms at 5,000 cards) is read while the server works.
            asking = threading.Thread(target=self._ask_early, args=(collection, token), name="carddav-report", daemon=True)
            asking.start()
            try:
                self._sent.wait(SEND_WAIT)
                self._marker_cache()
            finally:
                asking.join()
        except Exception:  # only a head start: the pass asks again and reports the failure
            log.debug("carddav: prefetch failed", exc_info=True)
        finally:
            self._sent.set()

    def _remembered_book(self) -> bool:
        """The head start on the book's remembered path, no discovery: True when the server answered it.

        Trusted when the server answered the REPORT there (a 207, or a refused token); else forgotten, and
        _prefetch() finds the book as without a memo (one failed REPORT more).
        """
        memo = self._book_memo
        if memo is None or not memo.book or self._collection:
            return False
        token = peek_latest_token(self.cache_dir, self.dav.url_of(memo.book))
        if not token:
            return False
        self._collection = memo.book
        asking = threading.Thread(target=self._ask_early, args=(memo.book, token), name="carddav-report", daemon=True)
        asking.start()
        try:
            self._sent.wait(SEND_WAIT)  # the cache's read (JSON, GIL held) after the request is out
            self._marker_cache()
        finally:
            asking.join()
        reply = self._early[1] if self._early else None
        status = getattr(reply, "status", None)
        if isinstance(reply, ReplyTooLarge) or (status is not None and status < 300) or status in (400, 403, 409, 412):
            return True  # the book answered (a stale token is the pass's to meet, not a sign of a moved book)
        self._early, self._collection, self._cache = None, "", None
        memo.save(None)
        return False

    def _ask_early(self, collection: str, token: str) -> None:
        try:
            if token:
                self._early = (token, self._sync_report(collection, token, on_sent=self._sent.set))
        except ReplyTooLarge as exc:
            self._early = (token, exc)  # the pass meets it without downloading the reply again
        except Exception:
            log.debug("carddav: prefetch failed", exc_info=True)
        finally:
            self._sent.set()  # nothing sent (no token, a failure): no one waits for it

    def _settle(self) -> None:
        """Wait for prefetch() to end (every method does, before it touches the connector's state)."""
        thread = self._prefetching
        if thread is not None and thread is not threading.current_thread():
            thread.join()
            self._prefetching = None

    def _add_own_writes(self, token: str, changed: dict[str, str], deleted: set[str]) -> None:
        """Add what became of the cards the hub wrote after `token`.

        A card created after the token and deleted since never existed for that
        token, so a server may rightly leave it out of the changes (Xandikos
        does); the hub knows the card, and must hear that it is gone (S5).
        """
        mine = self._marker_cache().written_since(token)
        if mine is None:
            raise TokenExpired("carddav: the change token is older than this target's cache; listing everything")
        pending = [p for p in mine if p not in changed and p not in deleted]
        if not pending:
            return
        listing = self._etags()
        for path in pending:
            if path not in listing:
                deleted.add(path)
            elif not self._marker_cache().get(path, listing[path])[0]:
                changed[path] = listing[path]

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        self._book()  # ids are weighed against the address book's path: find it first
        wanted = [rid for rid in ids if self._valid_id(rid)]
        cards = {rid: self._read_ahead.pop(rid) for rid in wanted if rid in self._read_ahead}  # not downloaded twice
        cards.update(self._multiget([rid for rid in wanted if rid not in cards]))
        items = []
        cache = self._marker_cache()
        for rid in wanted:
            if rid not in cards:
                continue
            etag, data = cards[rid]
            url = self.dav.url_of(rid)
            contact = _parse(data, url)
            marker = scan_marker(data)
            cache.put(rid, etag, marker)
            if contact is not None:
                contact = undo_reencoding(restore_order(strip_marker(contact), cache.order(rid)), cache.sent(rid))
                items.append(RemoteItem(RemoteRef(rid, etag, marker), contact, scan_revision(data)))
        cache.save()
        return iter(items)

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._create_one)

    def seed(self, items: Iterable[WriteRequest]) -> list[Result] | None:
        """Create all of `items` in one request when the book was found empty (option bulk_seed; see seed.py).

        None when not done (option off, book not empty, the server refuses): the
        engine then creates them batch by batch. Cards that cannot go in the
        seed are created one by one here. `items` are read once, each turned
        into its card at once: no contact is kept for the cards in the seed.
        """
        if not self.bulk_seed or not self._seen_empty:
            return None
        book = empty_book(self.dav, self._book())
        if book is None:
            self._seen_empty = False
            return None
        body = SeedBody()
        kept: list[WriteRequest] = []  # the requests, without their contact where it went into the body
        for index, request in enumerate(items):
            contact = request.contact
            text = vcard_text(contact, request.marker) if contact is not None else None
            if text is not None and not _CONTROL.search(text) and body.add(index, contact.uid, text, extra_order(contact)):  # type: ignore[union-attr]
                request = WriteRequest(marker=request.marker)
            kept.append(request)  # the others are written one by one below, and fail there on their own
        stored = fill(self.dav, self._collection, book, body)
        self._seen_empty = False
        if stored is None:
            return None
        cache = self._marker_cache()
        results: list[Result | None] = [None] * len(kept)
        for card in body.cards:
            request = kept[card.index]
            if card.index in stored:
                path, etag = stored[card.index]
                cache.wrote(path, etag, request.marker, card.order)
                results[card.index] = Result(request, ref=RemoteRef(path, etag, request.marker))
            else:
                error = TargetError(f"carddav: {self.dav.url_of(self._collection + card.name)}: not stored by the server")
                results[card.index] = Result(request, error=error)
        rest = [i for i, r in enumerate(results) if r is None]
        for index, result in zip(rest, self._batch([kept[i] for i in rest], self._create_one), strict=True):
            results[index] = result
        return results  # type: ignore[return-value]

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._update_one)

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._delete_one)

    def close(self) -> None:
        self._settle()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
        if self._cache is not None:
            self._cache.save()
        if self._auth_memo is not None:
            self._auth_memo.save(self.dav.auth_scheme)
        self.dav.close()

    def notify(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the notify file is touched (only with option notify_file; for `sync watch`)."""
        if self.notify_file is None:
            return
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        wanted = os.path.normcase(os.path.abspath(self.notify_file))

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                paths = (event.src_path, getattr(event, "dest_path", ""))
                if any(p and os.path.normcase(os.path.abspath(os.fsdecode(p))) == wanted for p in paths):
                    callback()

        self.notify_file.parent.mkdir(parents=True, exist_ok=True)
        self._observer = Observer()
        self._observer.schedule(_Handler(), str(self.notify_file.parent), recursive=False)
        self._observer.start()

    # -- writes -----------------------------------------------------------------

    def _batch(self, items: Iterable[WriteRequest], one: Callable[[WriteRequest], RemoteRef | None]) -> Iterator[Result]:
        self._book()
        results: list[Result] = []
        stop: ConnectorError | None = None
        try:
            for request in items:
                if stop is not None:
                    results.append(Result(request, error=stop))  # not sent: the server refuses them all
                    continue
                try:
                    results.append(Result(request, ref=one(request)))
                except BATCH_FATAL as exc:
                    if not results:
                        raise  # nothing was done in this call: the caller may retry it whole
                    stop = exc
                    results.append(Result(request, error=exc))
                except ConnectorError as exc:
                    results.append(Result(request, error=exc))
        finally:
            self._marker_cache().save()
        return iter(results)

    def _create_one(self, request: WriteRequest) -> RemoteRef:
        if request.contact is None:
            raise TargetError("carddav: create without a contact")
        path = f"{self._collection}{uuid.uuid4().hex}{SUFFIX}"  # never derived from the contact's UID
        url = self.dav.url_of(path)
        reply = self._put(url, vcard_text(request.contact, request.marker), {"If-None-Match": "*"})
        if reply.status == 412 and reply.attempts > 1:
            pass  # our first send arrived and only its reply was lost: the fresh name is ours
        else:
            check_write(reply, url, "PUT")
        return self._remember(path, reply.headers, request)

    def _update_one(self, request: WriteRequest) -> RemoteRef:
        path = self._path(request.remote_id)
        url = self.dav.url_of(path)
        if request.contact is None:
            raise TargetError(f"carddav: update of {url} without a contact")
        # If-Match: * when unconditional, so a vanished card is NotFound instead of re-created.
        reply = self._put(url, vcard_text(request.contact, request.marker), {"If-Match": request.etag or "*"})
        if reply.status == 412 and not request.etag:
            raise NotFound(f"carddav: {url} does not exist")
        if reply.status == 412 and not self._exists(url):
            # Deleted on the server, though its changes did not say so: reported deleted next (S5).
            self._marker_cache().lost(path)
            raise NotFound(f"carddav: {url} was deleted on the server (PUT: HTTP 412, then not found)")
        check_write(reply, url, "PUT")
        return self._remember(path, reply.headers, request)

    def _delete_one(self, request: WriteRequest) -> None:
        path = self._path(request.remote_id)
        url = self.dav.url_of(path)
        headers = {"If-Match": request.etag} if request.etag else {}
        reply = self.dav.request("DELETE", url, "", headers, what=f"DELETE {url}")
        if reply.status == 404 and reply.attempts > 1:
            pass  # our first send deleted it; only the reply was lost
        else:
            check_write(reply, url, "DELETE")
        self._marker_cache().drop(path)

    def _put(self, url: str, text: str, headers: dict[str, str]):
        if _CONTROL.search(text):
            # Such a card breaks every multiget reply it appears in (XML cannot carry it).
            raise TargetError(f"carddav: PUT {url}: the contact holds control characters a vCard server cannot return")
        return self.dav.request("PUT", url, text, {"Content-Type": VCARD_TYPE, **headers}, what=f"PUT {url}")

    def _remember(self, path: str, headers: Mapping[str, str], request: WriteRequest) -> RemoteRef:
        """The new ref: its etag from the reply or, when the server sent none, the stored card's (S14)."""
        etag = next((v for k, v in headers.items() if k.lower() == "etag"), "")
        sent: dict[str, Any] = {}
        if not etag or etag.startswith("W/"):
            etag, sent = self._stored(path, request)
        order = extra_order(request.contact) if request.contact is not None else ()
        self._marker_cache().wrote(path, etag, request.marker, order, sent)
        return RemoteRef(path, etag, request.marker)

    def _stored(self, path: str, request: WriteRequest) -> tuple[str, dict[str, Any]]:
        """The stored card's etag, and the fields it holds only re-encoded (rewrites.py).

        RFC 6352 section 6.3.2: a server that stores a card other than it was sent
        returns no ETag. The card is read back so that its etag, not the one of
        the card sent, is what the next pass compares.
        """
        url = self.dav.url_of(path)
        reply = self.dav.get(url)
        etag = next((v for k, v in reply.headers.items() if k.lower() == "etag"), "") if reply.status == 200 else ""
        if not etag or etag.startswith("W/"):
            found = self.dav.propfind(url, [f"{DAV}getetag"], 0)
            etag = next((e.text(f"{DAV}getetag") for e in found if e.status == 200), "")
            if not etag:
                raise TargetError(f"carddav: {url} was written but the server gives no etag")
            return etag, {}
        stored = _parse(reply.body, url) if request.contact is not None else None
        if stored is None:
            return etag, {}
        return etag, reencoded_fields(strip_marker(request.contact.copy()), strip_marker(stored))  # type: ignore[union-attr]

    def _exists(self, url: str) -> bool:
        try:
            return any(e.status == 200 for e in self.dav.propfind(url, [f"{DAV}getetag"], 0))
        except NotFound:
            return False

    # -- reads ------------------------------------------------------------------

    def _etags(self) -> dict[str, str]:
        """href path -> etag of every card in the address book (Depth-1 PROPFIND: no card is downloaded)."""
        collection = self._book()
        entries = self.dav.propfind(self.dav.url_of(collection), [f"{DAV}getetag", f"{DAV}resourcetype"], 1)
        return {
            e.path: e.text(f"{DAV}getetag")
            for e in entries
            if e.status == 200 and self._is_member(e.path) and not e.has_type(f"{DAV}collection")
        }

    def _with_markers(self, members: dict[str, str]) -> dict[str, RemoteRef]:
        """RemoteRefs for href -> etag, downloading only the cards whose etag is new to the cache."""
        cache = self._marker_cache()
        refs: dict[str, RemoteRef] = {}
        unknown = []
        for path, etag in members.items():
            known, marker = cache.get(path, etag)
            if known:
                refs[path] = RemoteRef(path, etag, marker)
            else:
                unknown.append(path)
        cards = self._multiget(unknown)
        room = READ_AHEAD_BYTES
        for path in unknown:
            if path not in cards:
                continue  # deleted since it was listed
            etag, data = cards[path]
            marker = scan_marker(data)
            cache.put(path, etag, marker)
            refs[path] = RemoteRef(path, etag, marker)
            if marker is not None and len(data) <= room:  # the engine fetches only marked cards
                self._read_ahead[path] = cards[path]
                room -= len(data)
        return {path: refs[path] for path in members if path in refs}

    def _multiget(self, paths: list[str]) -> dict[str, tuple[str, bytes]]:
        """path -> (etag, card bytes) for the cards that exist. A card neither returned nor
        reported missing raises: leaving it out would read as "deleted on the phone" (S5)."""
        collection_url = self.dav.url_of(self._book())
        cards: dict[str, tuple[str, bytes]] = {}
        for start in range(0, len(paths), MULTIGET_CHUNK):
            chunk = paths[start : start + MULTIGET_CHUNK]
            body = multiget_body(self.dav.url_of(p)[len(self.dav.origin) :] for p in chunk)
            try:
                reply = self.dav.request("REPORT", collection_url, body, {}, what=f"addressbook-multiget on {collection_url}")
                entries: dict[str, Entry] = {e.path: e for e in self.dav.multistatus(reply, collection_url, "addressbook-multiget")}
            except BadReply:
                # One card that XML cannot carry (a NUL …) spoils the whole reply: get them one by one.
                cards.update(self._get_each(chunk))
                continue
            for path in chunk:
                entry = entries.get(path)
                if entry is not None and entry.status in (404, 410):
                    continue
                data = entry.props.get(f"{CARD}address-data") if entry is not None else None
                if entry is None or entry.status != 200 or data is None:
                    raise TargetError(f"carddav: {self.dav.url_of(path)}: the server did not return the card")
                cards[path] = (entry.text(f"{DAV}getetag"), (data.text or "").encode("utf-8"))  # type: ignore[union-attr]
        return cards

    def _get_each(self, paths: list[str]) -> dict[str, tuple[str, bytes]]:
        cards = {}
        for path in paths:
            url = self.dav.url_of(path)
            reply = self.dav.get(url)
            if reply.status in (404, 410):
                continue
            etag = next((v for k, v in reply.headers.items() if k.lower() == "etag"), "")
            if reply.status != 200 or not etag:
                raise TargetError(f"carddav: GET {url}: HTTP {reply.status}{'' if etag else ', no etag'}")
            cards[path] = (etag, reply.body)
        return cards

    def _listing_as_changes(self) -> ChangeSet:
        return ChangeSet(changed=list(self.list()), token="")

    # -- the address book ---------------------------------------------------------

    def _book(self) -> str:
        self._settle()
        if not self._collection:
            book = find_addressbook(self.dav, self.wanted)
            self._collection = book.path
            if self._book_memo is not None:
                self._book_memo.save(book.path)
        return self._collection

    def _marker_cache(self) -> MarkerCache:
        if self._cache is None:
            self._cache = MarkerCache(self.cache_dir, self.dav.url_of(self._book()))
        return self._cache

    def _is_member(self, path: str) -> bool:
        """A card directly inside the address book (not the book, not a sub-collection's card)."""
        collection = self._collection
        if not collection:
            return False  # not found yet: a bare file name would become origin + name
        if not path.startswith(collection) or len(path) == len(collection):
            return False
        name = path[len(collection) :]
        return "/" not in name and name not in (".", "..")

    def _valid_id(self, remote_id: object) -> bool:
        return (
            isinstance(remote_id, str)
            and self._is_member(remote_id)
            and not any(c in remote_id for c in "\0\\")
            and remote_id.isprintable()
        )

    def _path(self, remote_id: str) -> str:
        self._book()
        if not self._valid_id(remote_id):
            raise NotFound(f"carddav: {remote_id!r} is not a card in {self.dav.url_of(self._collection)}")
        return remote_id


def _parse(data: bytes, url: str) -> Contact | None:
    from contacthub.vcard import read_vcards  # only when a card is read: a no-change pass reads none

    try:
        result = read_vcards(data, source=url)
    except Exception as exc:  # bad input in one card must not stop the batch (U2)
        log.warning("carddav: %s: not a readable vCard (%s: %s); skipped", url, type(exc).__name__, exc)
        return None
    for problem in result.problems:
        log.warning("carddav: %s: %s", url, problem)
    if not result.contacts:
        log.warning("carddav: %s: no readable vCard; skipped", url)
        return None
    if len(result.contacts) > 1:
        log.warning("carddav: %s: holds %d vCards; only the first is synced", url, len(result.contacts))
    return result.contacts[0]


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"carddav: option {name} must be true or false, not {value!r}")


def _fingerprint(value: Any) -> str | None:
    """Option tls_fingerprint: the server certificate's SHA-256, hex (colons allowed), or nothing."""
    if value in (None, ""):
        return None
    text = str(value).replace(":", "").strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ConfigError("carddav: option tls_fingerprint must be a certificate's SHA-256 fingerprint (64 hex digits)")
    return text


def _verify_tls(value: Any) -> bool | str:
    """True/False, or a CA bundle path. Strings like "false" count as False (and are warned about)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("", "true", "yes", "1", "on"):
        return True
    if text.lower() in ("false", "no", "0", "off"):
        return False
    return text  # a CA bundle file
