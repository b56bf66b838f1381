"""The contract every connector implements, built-in or third-party.

A connector knows its protocol and its field mapping; it knows nothing of the
business database. The sync engine talks to it only through this contract.

For plugin authors:
- Contacts travel as `contacthub.model.Contact`. `contact.to_dict()` gives plain
  JSON-ready data (the photo base64-encoded) and `Contact.from_dict(data)` reads it
  back; a connector whose target holds vCards uses `contacthub.vcard` instead.
- A connector is opened by its `ConnectorInfo.factory(options, context)`.
  `lazy_factory("package.module:Class")` is the usual factory: it imports the module
  when a target is opened and calls ``Class.open(options, context)``, a classmethod
  your class provides (described in `Connector`).
- `contacthub.testing.ConnectorContract` is the conformance suite: subclass it in
  a test module with a `connector` fixture (an open connector on an empty target).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from contacthub.errors import ContactHubError
from contacthub.model import Contact

# -- typed errors -------------------------------------------------------------


class ConnectorError(ContactHubError):
    """Base of every error a connector raises."""


class AuthError(ConnectorError):
    """The target refused the credentials."""


class NotFound(ConnectorError):
    """The remote item (or folder) does not exist."""


class WrongEtag(ConnectorError):
    """A precondition failed: the item changed since its etag was read."""


class TokenExpired(ConnectorError):
    """The change token is no longer valid: list everything instead."""


class Throttled(ConnectorError):
    """The target asks to slow down; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TargetError(ConnectorError):
    """Any other failure of the target (server error, unusable folder …)."""


# -- data exchanged with the engine -------------------------------------------


@dataclass(frozen=True)
class Marker:
    """Identifies a synced copy: which database and which record it belongs to."""

    database_id: str
    record_id: str


@dataclass(frozen=True)
class RemoteRef:
    """One item as a listing sees it: id, etag and marker (None: a plain contact)."""

    remote_id: str
    etag: str
    marker: Marker | None = None


@dataclass
class RemoteItem:
    """A fetched item: its reference plus its content."""

    ref: RemoteRef
    contact: Contact
    # When the target last changed the item, by its own clock (a vCard's REV): it only
    # orders edits for the newest-wins policy and is never record data.
    changed_at: datetime | None = None


@dataclass
class ChangeSet:
    """What changed since a change token: changed refs, deleted ids, the next token."""

    changed: list[RemoteRef] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    token: str = ""


@dataclass
class WriteRequest:
    """One item to create, update or delete.

    For create, `remote_id` is empty and `marker` is written with the contact.
    For update and delete, `etag` is the precondition (empty: unconditional).
    """

    contact: Contact | None = None
    marker: Marker | None = None
    remote_id: str = ""
    etag: str = ""


@dataclass
class Result:
    """The outcome of one write, in request order: the new ref, or the error."""

    request: WriteRequest
    ref: RemoteRef | None = None
    error: ConnectorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do, declared once so the engine can plan around it."""

    incremental: bool = False  # changes(token) is supported
    push: bool = False  # the target can notify of changes (sync watch reacts at once)
    batch_size: int = 100  # most items per fetch/create/update/delete call
    # The Contact fields the target can hold. A field outside this set is never
    # cleared in the database by a sync from this target (S11).
    fields: frozenset[str] = frozenset()


@runtime_checkable
class Connector(Protocol):
    """A target kind. Instances are opened on one folder/collection/list."""

    name: ClassVar[str]
    description: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    # How it is opened, for a connector whose ConnectorInfo uses `lazy_factory`:
    #   @classmethod
    #   def open(cls, options: Mapping[str, Any], context: ConnectorContext) -> Connector
    # opens it on the folder `options` names (options["location"]: the text after
    # "NAME:"; the rest is the target's config table). A connector opened by a factory
    # of its own need not have it, so it is not a member the Protocol checks.

    def check(self) -> None:
        """Connect and authenticate; raise a typed error with a clear message."""

    def list(self) -> Iterator[RemoteRef]:
        """Every item in the folder, with its etag and marker (None for plain contacts)."""

    def changes(self, token: str) -> ChangeSet:
        """What changed since `token` ("" for the first call: every item). Raises TokenExpired.

        Only called when `capabilities.incremental` is true; otherwise every pass
        calls `list()` and compares etags. A target with no change tokens declares
        ``incremental=False`` and may simply raise TokenExpired here (the vcf
        connector does). When a token is refused the engine calls ``changes("")``.
        """

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        """The items with these ids; missing ones are left out."""

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        """Create items, each carrying its marker."""

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        """Replace items, guarded by their etag (WrongEtag when it changed)."""

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        """Delete items, guarded by their etag."""

    def close(self) -> None:
        """Release connections (and stop notifications)."""

    # Optional, for targets that can fill an empty folder in one request:
    #   def seed(self, items: Iterable[WriteRequest]) -> list[Result] | None
    # creates all of `items` (a first pass's copies) at once, one Result each in
    # request order, when the folder was found empty by this pass's listing;
    # None when it did nothing, and the engine then calls create() batch by batch.

    # Optional, a head start for one pass in a fresh process (`sync run`):
    #   def prefetch(self) -> None
    # starts reading the target's changes in the background while the hub loads
    # its database; every other method waits for it, and nothing it meets is raised.

    # Optional, for connectors with `capabilities.push`:
    #   def notify(self, callback: Callable[[], None]) -> None
    # starts watching the target and calls `callback` (from any thread) when it
    # may have changed; `close()` stops watching. `sync watch` then runs a pass at once.


@dataclass(frozen=True)
class ConnectorContext:
    """What the hub hands a connector when it opens one.

    `secret(value)` resolves a secret option (``{env = "VAR"}`` or a keyring
    reference) to its plain value; `cache_dir` is a private folder for this
    target's caches (created by the hub, kept between passes).
    """

    cache_dir: Path
    secret: Callable[[Any], str]


def lazy_factory(path: str) -> Callable[[Mapping[str, Any], ConnectorContext], Connector]:
    """A factory for ``"package.module:Class"`` that imports it only when a target is opened.

    Plugins are loaded on every start; a connector's protocol libraries
    (caldav, exchangelib, msal …) should cost nothing until one is used.
    """

    def factory(options: Mapping[str, Any], context: ConnectorContext) -> Connector:
        import importlib

        module, _, name = path.partition(":")
        return getattr(importlib.import_module(module), name).open(options, context)

    return factory


@dataclass(frozen=True)
class ConnectorInfo:
    """How a plugin announces a connector.

    A target is written ``NAME:LOCATION`` (``vcf:~/Phone``) or configured as a
    table of options; the text after the colon arrives as option ``location``.
    `factory(options, context)` opens the connector on that folder.
    """

    name: str
    factory: Callable[[Mapping[str, Any], ConnectorContext], Connector]
    description: str = ""
    options: Mapping[str, str] = field(default_factory=dict)  # option name -> help text
    # Interactive sign-in for targets that need one (`contacthub auth login/logout`):
    # login(options, context, prompt) -> who signed in; logout(options, context).
    login: Callable[[Mapping[str, Any], ConnectorContext, Callable[[str], Any]], str] | None = None
    logout: Callable[[Mapping[str, Any], ConnectorContext], None] | None = None
