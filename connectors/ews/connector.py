"""EwsConnector: one contacts folder in an Exchange Server mailbox, over EWS with exchangelib.

The remote id is the item's EWS ItemId, the etag its ChangeKey. Changes come
from SyncFolderItems with the sync state the engine stores as its token.
Writes are CreateItem / UpdateItem / DeleteItem in chunks of `batch_size`,
and every item's own ResponseCode becomes that item's Result: one refused item
never stops the others. Deletions go to the mailbox's Deleted Items, never a
hard delete. The marker and the mapping details are extended properties
(properties.py); the field mapping is in mapping.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from exchangelib import Contact as EwsContact
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorChangeKeyRequiredForWriteOperations,
    ErrorFolderNotFound,
    ErrorInvalidChangeKey,
    ErrorInvalidIdEmpty,
    ErrorInvalidIdMalformed,
    ErrorInvalidSyncStateData,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorServerBusy,
    ErrorStaleObject,
    ErrorTimeoutExpired,
    EWSError,
    RateLimitError,
    ResponseMessageError,
    TransportError,
    UnauthorizedError,
)
from exchangelib.items import (
    ALL_OCCURRENCES,
    ALWAYS_OVERWRITE,
    MOVE_TO_DELETED_ITEMS,
    NEVER_OVERWRITE,
    SAVE_ONLY,
    SEND_TO_NONE,
)
from exchangelib.properties import ItemId
from exchangelib.services import CreateItem, DeleteItem, FindItem, GetItem, UpdateItem

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
    WrongEtag,
)
from contacthub.connectors.ews import properties
from contacthub.connectors.ews.account import (
    GRAPH_ADVICE,
    BoundedRetry,
    EwsSettings,
    credentials,
    find_folder,
    forget_protocol,
    is_exchange_online,
    open_account,
    parse_settings,
)
from contacthub.connectors.ews.journal import Journal
from contacthub.connectors.ews.mapping import (
    HELD_FIELDS,
    UPDATE_FIELDS,
    to_contact,
    to_ews,
)
from contacthub.connectors.ews.properties import MARKER_ATTR
from contacthub.connectors.outlook_marker import marker_text, parse_marker

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # items per EWS request (exchangelib's own chunk size)
SYNC_PAGE = 512  # changes per SyncFolderItems call (the server's maximum)
# An EWS item id is base64; anything else is never sent (it is nobody's item: NotFound).
_ITEM_ID = re.compile(r"^[A-Za-z0-9+/=_-]{1,512}$")
NOT_FOUND = (ErrorItemNotFound, ErrorInvalidIdMalformed, ErrorInvalidIdEmpty)
STALE = (ErrorIrresolvableConflict, ErrorStaleObject, ErrorInvalidChangeKey, ErrorChangeKeyRequiredForWriteOperations)
LIST_FIELDS = ("id", "changekey", MARKER_ATTR)


# exchangelib raises, for the whole request, every per-item code outside a short list
# (ErrorIrresolvableConflict among them): results of items already written would be
# lost. These return every item's error as that item's result instead.
class _PerItem:
    ERRORS_TO_CATCH_IN_RESPONSE = (ResponseMessageError,)


class _CreateItem(_PerItem, CreateItem):
    pass


class _UpdateItem(_PerItem, UpdateItem):
    pass


class _DeleteItem(_PerItem, DeleteItem):
    pass


class _GetItem(_PerItem, GetItem):
    pass


class EwsConnector:
    """One contacts folder of an Exchange mailbox. Open it with `EwsConnector.open(options, context)`."""

    name = "ews"
    description = "An Exchange Server (on premises) contacts folder, over EWS (Exchange 2016, 2019, SE)"
    capabilities = Capabilities(incremental=True, push=False, batch_size=BATCH_SIZE, fields=HELD_FIELDS)

    def __init__(self, settings: EwsSettings, creds: Any, cache_dir: Path) -> None:
        self.settings = settings
        self._creds = creds
        self.journal = Journal(cache_dir, settings.where)
        self.retry = BoundedRetry(settings.max_wait)
        self._account = None
        self._folder = None

    @classmethod
    def open(cls, options: Mapping[str, Any], context: ConnectorContext) -> EwsConnector:
        settings = parse_settings(options)
        properties.register()
        return cls(settings, credentials(settings, options, context), context.cache_dir)

    # -- the contract ---------------------------------------------------------

    def check(self) -> None:
        """Log in and find the folder (created when missing)."""
        self.retry.waited = 0.0  # the wait bound is per pass
        self._call("opening the folder", self._open_folder)

    def list(self) -> Iterator[RemoteRef]:
        def run():
            # FindItem returns extended properties (exchangelib's QuerySet would add a GetItem per page for them).
            folder = self._folder_or_open()
            pages = FindItem(account=self._account, page_size=BATCH_SIZE).call(
                folders=[folder],
                additional_fields=set(folder.normalize_fields(fields=[MARKER_ATTR])),
                restriction=None,
                order_fields=None,
                shape="IdOnly",
                query_string=None,
                depth="Shallow",
                calendar_view=None,
                max_items=None,
                offset=0,
            )
            found = []
            for item in pages:
                if isinstance(item, Exception):
                    raise item
                if isinstance(item, EwsContact):
                    found.append(self._ref(item))
            return found

        return iter(self._call("listing the folder", run))

    def changes(self, token: str) -> ChangeSet:
        mine = self.journal.written_since(token) if token else []
        if mine is None:
            raise TokenExpired(f"ews: {self.settings.where}: a sync state this target did not hand out; listing everything")

        def run():
            folder = self._folder_or_open()
            changed: dict[str, RemoteRef] = {}
            deleted: list[str] = []
            for kind, item in folder.sync_items(
                sync_state=token or None, only_fields=LIST_FIELDS, max_changes_returned=SYNC_PAGE
            ):
                if kind == "delete":
                    changed.pop(item.id, None)
                    deleted.append(item.id)
                elif kind in ("create", "update") and isinstance(item, EwsContact):
                    changed[item.id] = self._ref(item)
                    if item.id in deleted:
                        deleted.remove(item.id)
            # Copies the hub made after `token` and the user deleted since: the server may say nothing of them.
            pending = [i for i in mine if i not in changed and i not in deleted]
            if pending:
                present = self._changekeys(pending)
                deleted.extend(i for i in pending if i not in present)
            return ChangeSet(changed=list(changed.values()), deleted=deleted, token=folder.item_sync_state or "")

        try:
            result = self._call("reading changes", run)
            self.journal.issued(result.token)
            self.journal.save()
            return result
        except _SyncStateRefused:
            raise TokenExpired(f"ews: {self.settings.where}: the server no longer knows our sync state; listing everything") from None

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        wanted = [i for i in ids if isinstance(i, str) and _ITEM_ID.match(i)]
        if not wanted:
            return iter([])

        def run():
            found = []
            only = set(self._folder.normalize_fields(fields=_fetch_fields()))
            results = _GetItem(account=self._account, chunk_size=BATCH_SIZE).call(
                items=[ItemId(i) for i in wanted], additional_fields=only, shape="IdOnly"
            )
            for item in results:
                if isinstance(item, NOT_FOUND):
                    continue
                if isinstance(item, Exception):
                    raise item
                if isinstance(item, EwsContact):
                    found.append(RemoteItem(self._ref(item), to_contact(item)))
            return found

        self._folder_or_open()
        return iter(self._call("fetching contacts", run))

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        requests = list(items)
        results: list[Result | None] = [None] * len(requests)
        todo = []
        for index, request in enumerate(requests):
            if request.contact is None:
                results[index] = Result(request, error=TargetError("ews: create without a contact"))
            else:
                todo.append(index)
        if todo:
            def run():
                folder = self._folder_or_open()
                objs = [self._ews(requests[i]) for i in todo]
                return list(
                    _CreateItem(account=self._account, chunk_size=BATCH_SIZE).call(
                        items=objs, folder=folder, message_disposition=SAVE_ONLY, send_meeting_invitations=SEND_TO_NONE
                    )
                )

            for index, outcome in zip(todo, self._written("creating contacts", run, len(todo)), strict=True):
                results[index] = self._result(requests[index], outcome, "create")
            self.journal.save()
        return iter(results)

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        requests = list(items)
        results: list[Result | None] = [None] * len(requests)
        guarded, free = [], []
        for index, request in enumerate(requests):
            if request.contact is None:
                results[index] = Result(request, error=TargetError(f"ews: update of {request.remote_id} without a contact"))
            elif not _ITEM_ID.match(request.remote_id or ""):
                results[index] = Result(request, error=_not_found(request.remote_id))
            else:
                (guarded if request.etag else free).append(index)
        # With an etag the server refuses a stale ChangeKey (NeverOverwrite: ErrorIrresolvableConflict).
        for indexes, resolution in ((guarded, NEVER_OVERWRITE), (free, ALWAYS_OVERWRITE)):
            if not indexes:
                continue

            def run(indexes=indexes, resolution=resolution):
                self._folder_or_open()
                changes = []
                for i in indexes:
                    obj = self._ews(requests[i], id=requests[i].remote_id, changekey=requests[i].etag or None)
                    changes.append((obj, UPDATE_FIELDS_FOR(obj)))
                return list(
                    _UpdateItem(account=self._account, chunk_size=BATCH_SIZE).call(
                        items=changes,
                        conflict_resolution=resolution,
                        message_disposition=SAVE_ONLY,
                        send_meeting_invitations_or_cancellations=SEND_TO_NONE,
                        suppress_read_receipts=True,
                    )
                )

            for index, outcome in zip(indexes, self._written("updating contacts", run, len(indexes)), strict=True):
                results[index] = self._result(requests[index], outcome, "update")
            self.journal.save()
        return iter(results)

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        requests = list(items)
        results: list[Result | None] = [None] * len(requests)
        todo = []
        for index, request in enumerate(requests):
            if not _ITEM_ID.match(request.remote_id or ""):
                results[index] = Result(request, error=_not_found(request.remote_id))
            else:
                todo.append(index)
        if todo:
            self._folder_or_open()
            # DeleteItem does not check a ChangeKey: read the current ones first.
            checked = self._written("checking contacts before deleting",
                                    lambda: [self._changekeys([requests[i].remote_id for i in todo])], 1)[0]
            current = checked if isinstance(checked, dict) else {}
            ready = []
            for index in todo:
                request = requests[index]
                changekey = current.get(request.remote_id)
                if isinstance(checked, ConnectorError):
                    results[index] = Result(request, error=checked)
                elif changekey is None:
                    results[index] = Result(request, error=_not_found(request.remote_id))
                elif request.etag and request.etag != changekey:
                    results[index] = Result(request, error=WrongEtag(f"ews: contact {_short(request.remote_id)} changed since it was read"))
                else:
                    ready.append(index)
            if ready:
                def run():
                    return list(
                        _DeleteItem(account=self._account, chunk_size=BATCH_SIZE).call(
                            items=[ItemId(requests[i].remote_id, current[requests[i].remote_id]) for i in ready],
                            delete_type=MOVE_TO_DELETED_ITEMS,  # to the mailbox's Deleted Items, never a hard delete
                            send_meeting_cancellations=SEND_TO_NONE,
                            affected_task_occurrences=ALL_OCCURRENCES,
                            suppress_read_receipts=True,
                        )
                    )

                for index, outcome in zip(ready, self._written("deleting contacts", run, len(ready)), strict=True):
                    results[index] = self._result(requests[index], outcome, "delete")
                self.journal.save()
        return iter(results)

    def close(self) -> None:
        account, self._account, self._folder = self._account, None, None
        forget_protocol(account)

    # -- internals ------------------------------------------------------------

    def _open_folder(self):
        if self._account is None:
            self._account = open_account(self.settings, self._creds, self.retry)
            endpoint = self._account.protocol.service_endpoint or ""
            if is_exchange_online(endpoint):
                raise TargetError(f"ews: autodiscover for {self.settings.mailbox} found Exchange Online: {GRAPH_ADVICE}")
        if self._folder is None:
            self._folder = find_folder(self._account, self.settings.folder)
        return self._folder

    def _folder_or_open(self):
        return self._folder if self._folder is not None else self._open_folder()

    def _ews(self, request: WriteRequest, **ids: Any) -> EwsContact:
        marker = marker_text(request.marker) or None
        return to_ews(request.contact, account=self._account, folder=self._folder, **{MARKER_ATTR: marker}, **ids)

    def _changekeys(self, ids: list[str]) -> dict[str, str]:
        found = {}
        for item in _GetItem(account=self._account, chunk_size=BATCH_SIZE).call(
            items=[ItemId(i) for i in ids], additional_fields=set(), shape="IdOnly"
        ):
            if isinstance(item, NOT_FOUND):
                continue
            if isinstance(item, Exception):
                raise item
            found[item.id] = item.changekey
        return found

    def _ref(self, item: Any) -> RemoteRef:
        return RemoteRef(item.id, item.changekey, parse_marker(getattr(item, MARKER_ATTR, None)))

    def _written(self, what: str, run: Callable[[], list[Any]], count: int) -> list[Any]:
        """One write request's outcomes, one per item; a refused or throttled request is every item's error.

        The engine then reports them as failed writes and the next pass tries them
        again; a refused login, a missing folder or an unreachable server stops the pass.
        """
        try:
            return self._call(what, run)
        except _Unreachable:
            raise  # the server is gone for this pass: the engine stops it, the next one resumes
        except (Throttled, TargetError) as exc:
            log.debug("%s", exc)
            return [exc] * count

    def _result(self, request: WriteRequest, outcome: Any, op: str) -> Result:
        if isinstance(outcome, ConnectorError):
            return Result(request, error=outcome)
        if isinstance(outcome, Exception):
            return Result(request, error=self._error(outcome, f"{op} of contact {_short(request.remote_id)}" if request.remote_id else op))
        if op == "delete":
            self.journal.deleted(request.remote_id)
            return Result(request)
        if isinstance(outcome, tuple):  # UpdateItem: (id, changekey)
            item_id, changekey = outcome
        else:
            item_id, changekey = outcome.id, outcome.changekey
        self.journal.wrote(item_id)
        return Result(request, ref=RemoteRef(item_id, changekey, request.marker))

    def _call(self, what: str, run: Callable[[], Any]) -> Any:
        """Run exchangelib code; its errors become the contract's typed, one-line errors."""
        try:
            return run()
        except ErrorInvalidSyncStateData:
            raise _SyncStateRefused() from None
        except (ConnectorError, _SyncStateRefused):
            raise
        except EWSError as exc:
            raise self._error(exc, what) from None

    def _error(self, exc: Exception, what: str) -> ConnectorError:
        where = f"ews: {self.settings.where}"
        if isinstance(exc, NOT_FOUND):
            return NotFound(f"{where}: {what}: no such contact")
        if isinstance(exc, STALE):
            return WrongEtag(f"{where}: {what}: the contact changed since it was read")
        if isinstance(exc, RateLimitError):
            return Throttled(
                f"{where}: {what}: the server is still busy after waiting {self.retry.waited:.0f} s "
                f"(option max_wait = {self.settings.max_wait:g} s); try again later",
                retry_after=float(exc.wait or 0),
            )
        if isinstance(exc, ErrorServerBusy):
            seconds = float(exc.back_off or 0)
            return Throttled(f"{where}: {what}: the server is busy; retry in {seconds:g} s", retry_after=seconds)
        if isinstance(exc, (UnauthorizedError, ErrorAccessDenied)):
            return AuthError(f"{where}: the server refused the credentials of {self.settings.username} ({self.settings.auth})")
        if isinstance(exc, ErrorFolderNotFound):
            return NotFound(f"{where}: the folder does not exist")
        # exchangelib turns a refused or dropped connection into ErrorTimeoutExpired("Reraised from …").
        reraised = isinstance(exc, ErrorTimeoutExpired) and str(exc).startswith("Reraised from")
        if reraised or (isinstance(exc, TransportError) and not isinstance(exc, ResponseMessageError)):
            return _Unreachable(f"{where}: {what}: cannot reach the server ({_one_line(exc)})")
        return TargetError(f"{where}: {what}: {type(exc).__name__}: {_one_line(exc)}")


class _Unreachable(TargetError):
    """No answer from the server at all (not a refusal): the pass stops instead of failing every write in turn."""


class _SyncStateRefused(Exception):
    """The server refused the stored sync state (ErrorInvalidSyncStateData)."""


def UPDATE_FIELDS_FOR(obj: EwsContact) -> list[str]:
    """Every mapped field is written, so an update replaces the whole contact (empty ones are deleted)."""
    return [*UPDATE_FIELDS, MARKER_ATTR]


def _fetch_fields() -> list[str]:
    fields = [f for f in UPDATE_FIELDS if f != "postal_address_index"] + ["postal_address_index", MARKER_ATTR]
    return list(dict.fromkeys(fields))


def _not_found(remote_id: str) -> NotFound:
    return NotFound(f"ews: {_short(remote_id)!r} is not a contact in this folder")


def _short(remote_id: str) -> str:
    text = str(remote_id or "")
    return text if len(text) <= 24 else f"…{text[-16:]}"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]

