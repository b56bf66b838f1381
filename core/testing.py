"""Test helpers for connectors and the sync engine.

`MemoryConnector` is a complete in-memory target with failure injection and
"user on the phone" actions, for engine tests. `ConnectorContract` is the
conformance suite every connector's tests subclass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import pytest

from contacthub.connector import (
    Capabilities,
    ChangeSet,
    ConnectorContext,
    ConnectorError,
    ConnectorInfo,
    Marker,
    NotFound,
    RemoteItem,
    RemoteRef,
    Result,
    TargetError,
    TokenExpired,
    WriteRequest,
    WrongEtag,
)
from contacthub.hookspecs import hookimpl
from contacthub.model import Address, Contact, ExtraProperty, Name, Photo, Typed

ALL_FIELDS = frozenset(f.name for f in dataclasses.fields(Contact))
READ_OPS = ("check", "list", "changes", "fetch")
WRITE_OPS = ("create", "update", "delete")
MARKER_PREFIX = "X-CONTACTHUB-"


# -- the in-memory target -----------------------------------------------------


@dataclasses.dataclass
class _Item:
    etag: str
    marker: Marker | None
    contact: Contact


class MemoryConnector:
    """A complete in-memory target: etags change on every write, change tokens, markers.

    `fields` limits what the target can hold (other fields are dropped on every
    write, like a lossy target). Failure injection: `fail_next` and `crash_after`.
    `user_create` / `user_edit` / `user_delete` / `user_move` act as the user on the phone.
    Every contract call is recorded in `calls` (op names, in order).
    """

    name = "memory"
    description = "An in-memory contact folder, for tests"

    def __init__(
        self,
        *,
        fields: Iterable[str] = ALL_FIELDS,
        incremental: bool = True,
        push: bool = False,
        batch_size: int = 100,
    ) -> None:
        unknown = set(fields) - ALL_FIELDS
        if unknown:
            raise ValueError(f"not Contact fields: {sorted(unknown)}")
        self.capabilities = Capabilities(
            incremental=incremental, push=push, batch_size=batch_size, fields=frozenset(fields)
        )
        self.calls: list[str] = []
        self.closed = False
        self._items: dict[str, _Item] = {}
        self._counter = 0
        self._epoch = 0  # bumped by expire_tokens(): older tokens become invalid
        self._log: list[str] = []  # remote ids touched, in order; a token is a position in it
        self._failures: dict[str, list[ConnectorError]] = {}
        self._crashes: dict[str, tuple[int, ConnectorError]] = {}

    # -- failure injection --------------------------------------------------

    def fail_next(self, op: str, error: ConnectorError, times: int = 1) -> None:
        """Make the next `times` uses of `op` fail with `error`.

        For check/list/changes/fetch a use is a call, which raises. For
        create/update/delete a use is one item: its Result carries the error and
        the item is not applied, the rest of the batch goes on.
        """
        if op not in READ_OPS + WRITE_OPS:
            raise ValueError(f"unknown op {op!r}")
        self._failures.setdefault(op, []).extend([error] * times)

    def crash_after(self, op: str, count: int, error: ConnectorError | None = None) -> None:
        """Make the next `op` call (create/update/delete) apply `count` items, then raise.

        Simulates a connection lost mid-batch (S12): the first `count` items are
        done in the target, their Results were never returned.
        """
        if op not in WRITE_OPS:
            raise ValueError(f"crash_after works on {WRITE_OPS}, not {op!r}")
        self._crashes[op] = (count, error or TargetError(f"memory: connection lost during {op}"))

    def expire_tokens(self) -> None:
        """Invalidate every change token handed out so far (TokenExpired on next use)."""
        self._epoch += 1

    # -- the user on the phone ----------------------------------------------

    def user_create(self, contact: Contact) -> str:
        """Add a plain contact, as the user would on the phone; returns its remote id."""
        remote_id = self._new_id()
        self._store(remote_id, None, contact)
        return remote_id

    def user_edit(self, remote_id: str, contact: Contact) -> None:
        """Replace a contact's content, keeping its marker (phones keep X- properties)."""
        item = self._get(remote_id)
        self._store(remote_id, item.marker, contact)

    def user_delete(self, remote_id: str) -> None:
        """Delete a contact, as the user would on the phone."""
        self._get(remote_id)
        del self._items[remote_id]
        self._log.append(remote_id)

    def user_move(self, remote_id: str, contact: Contact | None = None) -> str:
        """Move a contact to a new remote id, marker and all, optionally edited (S13); returns the new id."""
        item = self._get(remote_id)
        new_id = self._new_id()
        self._store(new_id, item.marker, contact if contact is not None else item.contact)
        self.user_delete(remote_id)
        return new_id

    def items(self) -> dict[str, tuple[str, Marker | None, Contact]]:
        """Everything in the target: remote id -> (etag, marker, a copy of the contact)."""
        return {rid: (it.etag, it.marker, it.contact.copy()) for rid, it in self._items.items()}

    # -- plugin registration ------------------------------------------------

    def info(self, name: str = "memory") -> ConnectorInfo:
        """A ConnectorInfo whose factory opens this very folder (its state lives here)."""
        return ConnectorInfo(name=name, factory=self._open, description=self.description)

    def plugin(self, name: str = "memory") -> object:
        """A pluggy plugin object providing `info(name)`, to register with a plugin manager."""
        info = self.info(name)

        class _Plugin:
            @hookimpl
            def contacthub_connectors(self) -> list[ConnectorInfo]:
                return [info]

        return _Plugin()

    def _open(self, options: Mapping[str, Any], context: ConnectorContext) -> MemoryConnector:
        self.closed = False
        return self

    # -- the contract ---------------------------------------------------------

    def check(self) -> None:
        self._enter("check")

    def list(self) -> Iterator[RemoteRef]:
        self._enter("list")
        return iter([self._ref(rid) for rid in self._items])

    def changes(self, token: str) -> ChangeSet:
        self._enter("changes")
        if not self.capabilities.incremental:
            raise TokenExpired("memory: this target has no change tokens")
        if token == "":
            return ChangeSet(changed=[self._ref(rid) for rid in self._items], token=self._token())
        epoch, _, position = token.partition(":")
        if epoch != str(self._epoch) or not position.isdigit() or int(position) > len(self._log):
            raise TokenExpired(f"memory: change token {token!r} is not valid")
        touched = dict.fromkeys(self._log[int(position) :])  # ordered, unique
        return ChangeSet(
            changed=[self._ref(rid) for rid in touched if rid in self._items],
            deleted=[rid for rid in touched if rid not in self._items],
            token=self._token(),
        )

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        self._enter("fetch")
        wanted = self._batch(ids)
        return iter([RemoteItem(self._ref(rid), self._items[rid].contact.copy()) for rid in wanted if rid in self._items])

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write("create", items)

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write("update", items)

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write("delete", items)

    def close(self) -> None:
        self.closed = True

    # -- internals ------------------------------------------------------------

    def _enter(self, op: str) -> None:
        self.calls.append(op)
        if self.closed:
            raise TargetError(f"memory: {op} called on a closed connector")
        if op in READ_OPS and self._failures.get(op):
            raise self._failures[op].pop(0)

    def _batch(self, items: Iterable[Any]) -> list[Any]:
        batch = list(items)
        if len(batch) > self.capabilities.batch_size:
            raise TargetError(f"memory: batch of {len(batch)} exceeds batch_size {self.capabilities.batch_size}")
        return batch

    def _write(self, op: str, items: Iterable[WriteRequest]) -> Iterator[Result]:
        self._enter(op)
        batch = self._batch(items)
        crash = self._crashes.pop(op, None)
        results = []
        for index, request in enumerate(batch):
            if crash and index == crash[0]:
                raise crash[1]
            try:
                if self._failures.get(op):
                    raise self._failures[op].pop(0)
                results.append(Result(request, ref=getattr(self, f"_{op}_one")(request)))
            except ConnectorError as exc:
                results.append(Result(request, error=exc))
        if crash and crash[0] == len(batch):
            raise crash[1]
        return iter(results)

    def _create_one(self, request: WriteRequest) -> RemoteRef:
        if request.contact is None:
            raise TargetError("memory: create without a contact")
        remote_id = self._new_id()
        self._store(remote_id, request.marker, request.contact)
        return self._ref(remote_id)

    def _update_one(self, request: WriteRequest) -> RemoteRef:
        if request.contact is None:
            raise TargetError(f"memory: update of {request.remote_id} without a contact")
        self._guard(request)
        self._store(request.remote_id, request.marker, request.contact)
        return self._ref(request.remote_id)

    def _delete_one(self, request: WriteRequest) -> None:
        self._guard(request)
        del self._items[request.remote_id]
        self._log.append(request.remote_id)

    def _guard(self, request: WriteRequest) -> None:
        item = self._get(request.remote_id)
        if request.etag and request.etag != item.etag:
            raise WrongEtag(f"memory: {request.remote_id} changed (etag {item.etag}, expected {request.etag})")

    def _get(self, remote_id: str) -> _Item:
        try:
            return self._items[remote_id]
        except KeyError:
            raise NotFound(f"memory: no item {remote_id!r}") from None

    def _store(self, remote_id: str, marker: Marker | None, contact: Contact) -> None:
        self._counter += 1
        self._items[remote_id] = _Item(f"etag-{self._counter}", marker, self._fit(contact))
        self._log.append(remote_id)

    def _fit(self, contact: Contact) -> Contact:
        """A copy holding only the fields this target can hold (the rest at their defaults)."""
        blank = Contact()
        return contact.copy(**{f: getattr(blank, f) for f in ALL_FIELDS - self.capabilities.fields})

    def _new_id(self) -> str:
        self._counter += 1
        return f"item-{self._counter}"

    def _ref(self, remote_id: str) -> RemoteRef:
        item = self._items[remote_id]
        return RemoteRef(remote_id, item.etag, item.marker)

    def _token(self) -> str:
        return f"{self._epoch}:{len(self._log)}"


# -- the conformance suite ------------------------------------------------------


def full_contact(uid: str = "urn:uuid:4c2ab9e2-7d43-4f2e-9a6b-1f0d3c5e8a71") -> Contact:
    """A contact using every field, for round-trip tests."""
    return Contact(
        uid=uid,
        display_name="Dr. Ann B. Example Jr.",
        name=Name(family="Example", given="Ann", additional="B.", prefix="Dr.", suffix="Jr."),
        nicknames=["Annie"],
        organization="Example Ltd",
        org_units=["Sales", "North"],
        title="Sales lead",
        role="Manager",
        emails=[Typed("ann@example.com", ["work"], pref=True), Typed("ann@home.example", ["home"])],
        phones=[Typed("+44 20 7946 0000", ["work", "voice"]), Typed("+44 7700 900000", ["cell"])],
        addresses=[
            Address(street="1 High St", locality="London", postal_code="SW1A 1AA", country="United Kingdom", types=["work"])
        ],
        urls=[Typed("https://example.com/ann", ["work"])],
        ims=[Typed("xmpp:ann@example.org")],
        birthday="1980-04-01",
        anniversary="2005-06-07",
        note="Met at the fair; likes tea, and biscuits.\nCall after 10.",
        categories=["Customers", "VIP"],
        photo=Photo(data=b"\x89PNG\r\n\x1a\n-not-really-a-png", media_type="image/png"),
        extra=[ExtraProperty("X-SPOUSE", "Bob Example"), ExtraProperty("X-SHOE-SIZE", "38", params=[("TYPE", "eu")])],
    )


def differences(expected: Contact, actual: Contact, fields: Iterable[str]) -> list[str]:
    """One line per field in `fields` whose value differs."""
    return [
        f"{f}: expected {getattr(expected, f)!r}, got {getattr(actual, f)!r}"
        for f in sorted(fields)
        if getattr(expected, f) != getattr(actual, f)
    ]


def outcome(result: Result) -> str:
    """One write's result in a few words: "ok (id 3)" or "WrongEtag: memory: 3 changed …"."""
    if result.ok:
        return f"ok (id {result.ref.remote_id})" if result.ref else "ok"
    return f"{type(result.error).__name__}: {result.error}"


def outcomes(results: Iterable[Result]) -> str:
    return "[" + "; ".join(outcome(r) for r in results) + "]"


def expected(kind: str, result: Result) -> str:
    """A contract failure's message: "expected WrongEtag, got ok (id 3)", not the whole Result's repr."""
    return f"expected {kind}, got {outcome(result)}"


def expected_all(kinds: list[str], results: Iterable[Result]) -> str:
    return f"expected [{'; '.join(kinds)}], got {outcomes(results)}"


class UserActions(Protocol):
    """Changes made in the target by someone other than the hub (the user on the phone)."""

    def user_create(self, contact: Contact) -> str: ...

    def user_edit(self, remote_id: str, contact: Contact) -> None: ...

    def user_delete(self, remote_id: str) -> None: ...

    def user_move(self, remote_id: str, contact: Contact | None = None) -> str:
        """Give a contact a new remote id, keeping its marker, optionally edited; the old id is gone (S13)."""
        ...


class ConnectorUser:
    """UserActions made through the connector itself, for targets with no other way in."""

    def __init__(self, connector: Any) -> None:
        self.connector = connector

    def user_create(self, contact: Contact) -> str:
        (result,) = self.connector.create([WriteRequest(contact=contact)])
        assert result.ok, result.error
        return result.ref.remote_id

    def user_edit(self, remote_id: str, contact: Contact) -> None:
        marker = next(r.marker for r in self.connector.list() if r.remote_id == remote_id)
        (result,) = self.connector.update([WriteRequest(contact=contact, marker=marker, remote_id=remote_id)])
        assert result.ok, result.error

    def user_delete(self, remote_id: str) -> None:
        (result,) = self.connector.delete([WriteRequest(remote_id=remote_id)])
        assert result.ok, result.error

    def user_move(self, remote_id: str, contact: Contact | None = None) -> str:
        """A client that deletes the contact and uploads it again under a new id, with its marker.

        Delete first: some targets refuse two contacts with one UID (CardDAV's no-uid-conflict).
        """
        marker = next(r.marker for r in self.connector.list() if r.remote_id == remote_id)
        if contact is None:
            (item,) = self.connector.fetch([remote_id])
            contact = item.contact
        self.user_delete(remote_id)
        (result,) = self.connector.create([WriteRequest(contact=contact, marker=marker)])
        assert result.ok, result.error
        return result.ref.remote_id


HOSTILE_IDS = ("../../etc/passwd", "a/b", "..", ".", "x\0y", "/etc/passwd", "..\\..\\boot.ini")
MARKER = Marker(database_id="db-1", record_id="rec-1")


class ConnectorContract:
    """The conformance suite. Subclass it in a test module and provide fixtures:

    - `connector`: an open connector on an empty target (required);
    - `user`: UserActions that change the target behind the hub's back
      (default: through the connector's own calls, without a marker);
    - `contact`: a contact using every field the target holds (default: `full_contact()`).

    `move_unsupported`: a reason, for a target where a user cannot move a copy to
    a new remote id (the S13 test is then skipped with it).
    """

    move_unsupported: str = ""

    @pytest.fixture
    def user(self, connector: Any) -> UserActions:
        return ConnectorUser(connector)

    @pytest.fixture
    def contact(self) -> Contact:
        return full_contact()

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def create_one(connector: Any, contact: Contact, marker: Marker | None = MARKER) -> RemoteRef:
        (result,) = connector.create([WriteRequest(contact=contact, marker=marker)])
        assert result.ok, f"create failed: {result.error!r}"
        return result.ref

    @staticmethod
    def fetch_one(connector: Any, remote_id: str) -> RemoteItem:
        items = list(connector.fetch([remote_id]))
        assert [i.ref.remote_id for i in items] == [remote_id], f"fetch({remote_id!r}) returned {items!r}"
        return items[0]

    @staticmethod
    def listing(connector: Any) -> dict[str, RemoteRef]:
        return {ref.remote_id: ref for ref in connector.list()}

    # -- the tests --------------------------------------------------------------

    def test_check_passes_on_an_open_target(self, connector: Any) -> None:
        connector.check()

    def test_s1_create_writes_the_marker_and_list_returns_it(self, connector: Any, contact: Contact) -> None:
        ref = self.create_one(connector, contact)
        assert ref.remote_id and ref.etag, ref
        assert ref.marker == MARKER
        assert self.listing(connector) == {ref.remote_id: ref}

    def test_s7_plain_contact_lists_with_marker_none(self, connector: Any, user: UserActions, contact: Contact) -> None:
        synced = self.create_one(connector, contact)
        plain_id = user.user_create(full_contact(uid="plain-1"))
        markers = {rid: ref.marker for rid, ref in self.listing(connector).items()}
        assert markers == {synced.remote_id: MARKER, plain_id: None}

    def test_s2_fetch_returns_every_field_the_target_holds(self, connector: Any, contact: Contact) -> None:
        ref = self.create_one(connector, contact)
        item = self.fetch_one(connector, ref.remote_id)
        assert item.ref == ref
        fields = connector.capabilities.fields - {"extra"}
        assert not differences(contact, item.contact, fields), differences(contact, item.contact, fields)

    def test_s11_unknown_x_properties_survive_and_the_marker_stays_out_of_them(
        self, connector: Any, contact: Contact
    ) -> None:
        if "extra" not in connector.capabilities.fields:
            pytest.skip("the target holds no unknown properties")
        ref = self.create_one(connector, contact)
        extra = self.fetch_one(connector, ref.remote_id).contact.extra
        assert not [e for e in extra if e.name.upper().startswith(MARKER_PREFIX)], extra
        assert extra == contact.extra

    def test_s3_update_with_current_etag_succeeds_and_changes_the_etag(self, connector: Any, contact: Contact) -> None:
        ref = self.create_one(connector, contact)
        changed = contact.copy(title="Head of sales")
        (result,) = connector.update([WriteRequest(changed, MARKER, ref.remote_id, ref.etag)])
        assert result.ok, result.error
        assert result.ref.remote_id == ref.remote_id and result.ref.marker == MARKER
        assert result.ref.etag != ref.etag
        assert self.listing(connector) == {ref.remote_id: result.ref}
        assert self.fetch_one(connector, ref.remote_id).contact.title == "Head of sales"

    def test_s3_update_can_change_the_marker(self, connector: Any, contact: Contact) -> None:
        ref = self.create_one(connector, contact, marker=None)
        other = Marker("db-2", "rec-9")
        (result,) = connector.update([WriteRequest(contact, other, ref.remote_id, ref.etag)])
        assert result.ok, result.error
        assert self.listing(connector)[ref.remote_id].marker == other

    def test_s4_update_with_stale_etag_is_wrong_etag_and_keeps_the_user_edit(
        self, connector: Any, user: UserActions, contact: Contact
    ) -> None:
        ref = self.create_one(connector, contact)
        user.user_edit(ref.remote_id, contact.copy(note="edited on the phone"))
        (result,) = connector.update([WriteRequest(contact.copy(note="from the hub"), MARKER, ref.remote_id, ref.etag)])
        assert isinstance(result.error, WrongEtag), expected("WrongEtag", result)
        assert self.fetch_one(connector, ref.remote_id).contact.note == "edited on the phone"

    def test_s4_delete_with_stale_etag_is_wrong_etag_and_keeps_the_item(
        self, connector: Any, user: UserActions, contact: Contact
    ) -> None:
        ref = self.create_one(connector, contact)
        user.user_edit(ref.remote_id, contact.copy(note="edited on the phone"))
        (result,) = connector.delete([WriteRequest(remote_id=ref.remote_id, etag=ref.etag)])
        assert isinstance(result.error, WrongEtag), expected("WrongEtag", result)
        assert ref.remote_id in self.listing(connector)

    def test_update_without_etag_is_unconditional(self, connector: Any, user: UserActions, contact: Contact) -> None:
        ref = self.create_one(connector, contact)
        user.user_edit(ref.remote_id, contact.copy(note="edited on the phone"))
        (result,) = connector.update([WriteRequest(contact.copy(note="from the hub"), MARKER, ref.remote_id)])
        assert result.ok, result.error
        assert self.fetch_one(connector, ref.remote_id).contact.note == "from the hub"

    def test_s6_delete_with_current_etag_removes_the_item(self, connector: Any, contact: Contact) -> None:
        ref = self.create_one(connector, contact)
        (result,) = connector.delete([WriteRequest(remote_id=ref.remote_id, etag=ref.etag)])
        assert result.ok, result.error
        assert self.listing(connector) == {}
        assert list(connector.fetch([ref.remote_id])) == []

    def test_s6_delete_or_update_of_a_missing_item_is_not_found(
        self, connector: Any, user: UserActions, contact: Contact
    ) -> None:
        ref = self.create_one(connector, contact)
        user.user_delete(ref.remote_id)
        (deleted,) = connector.delete([WriteRequest(remote_id=ref.remote_id)])
        (updated,) = connector.update([WriteRequest(contact, MARKER, ref.remote_id)])
        assert isinstance(deleted.error, NotFound), "delete: " + expected("NotFound", deleted)
        assert isinstance(updated.error, NotFound), "update: " + expected("NotFound", updated)
        assert self.listing(connector) == {}

    def test_fetch_leaves_out_missing_ids(self, connector: Any, user: UserActions, contact: Contact) -> None:
        kept = self.create_one(connector, contact)
        gone = self.create_one(connector, contact.copy(uid="gone"))
        user.user_delete(gone.remote_id)
        fetched = list(connector.fetch([gone.remote_id, kept.remote_id]))
        assert [i.ref.remote_id for i in fetched] == [kept.remote_id]

    def test_u2_batches_return_one_result_per_request_in_order(
        self, connector: Any, user: UserActions, contact: Contact
    ) -> None:
        creates = [WriteRequest(contact.copy(uid=f"u{i}"), Marker("db-1", f"rec-{i}")) for i in range(3)]
        created = list(connector.create(creates))
        assert [r.request for r in created] == creates and all(r.ok for r in created), expected_all(
            ["ok"] * 3, created
        )
        refs = [r.ref for r in created]
        assert [r.marker.record_id for r in refs] == ["rec-0", "rec-1", "rec-2"]
        assert len({r.remote_id for r in refs}) == 3

        user.user_edit(refs[1].remote_id, contact.copy(uid="u1", note="edited on the phone"))
        updates = [WriteRequest(contact.copy(uid=f"u{i}", title="new"), r.marker, r.remote_id, r.etag) for i, r in enumerate(refs)]
        updated = list(connector.update(updates))
        assert [r.request for r in updated] == updates
        assert [r.ok for r in updated] == [True, False, True] and isinstance(updated[1].error, WrongEtag), expected_all(
            ["ok", "WrongEtag", "ok"], updated
        )
        assert [self.fetch_one(connector, r.remote_id).contact.title for r in refs] == ["new", contact.title, "new"]

        user.user_delete(refs[0].remote_id)
        deletes = [WriteRequest(remote_id=r.remote_id) for r in refs]
        deleted = list(connector.delete(deletes))
        assert [r.request for r in deleted] == deletes
        assert [r.ok for r in deleted] == [False, True, True] and isinstance(deleted[0].error, NotFound), expected_all(
            ["NotFound", "ok", "ok"], deleted
        )
        assert self.listing(connector) == {}

    def test_s4_changes_report_created_changed_and_deleted_items(
        self, connector: Any, user: UserActions, contact: Contact
    ) -> None:
        if not connector.capabilities.incremental:
            pytest.skip("the target has no change tokens")
        edited = self.create_one(connector, contact.copy(uid="edited"))
        removed = self.create_one(connector, contact.copy(uid="removed"))
        untouched = self.create_one(connector, contact.copy(uid="untouched"))
        first = connector.changes("")
        assert {r.remote_id for r in first.changed} == {edited.remote_id, removed.remote_id, untouched.remote_id}

        created_id = user.user_create(contact.copy(uid="created"))
        user.user_edit(edited.remote_id, contact.copy(uid="edited", note="edited on the phone"))
        user.user_delete(removed.remote_id)
        since = connector.changes(first.token)
        listing = self.listing(connector)
        assert {r.remote_id: r for r in since.changed} == {rid: listing[rid] for rid in (created_id, edited.remote_id)}
        assert since.deleted == [removed.remote_id]
        assert connector.changes(since.token).changed == []

    def test_s12_garbage_change_token_raises_token_expired(self, connector: Any) -> None:
        if not connector.capabilities.incremental:
            pytest.skip("the target has no change tokens")
        with pytest.raises(TokenExpired):
            connector.changes("garbage-token-\0-../..")

    def test_s13_a_moved_and_edited_copy_keeps_its_record_and_the_edit(
        self, connector: Any, user: UserActions, contact: Contact, tmp_path
    ) -> None:
        """The user moves a synced copy to a new remote id and edits it: one pass relinks and merges."""
        if self.move_unsupported:
            pytest.skip(self.move_unsupported)
        from contacthub.store import open_database
        from contacthub.sync.engine import run_pass
        from contacthub.sync.target import SyncSettings, Target

        db = open_database(f"sqlite:///{tmp_path / 'contract-move.sqlite'}")
        settings = SyncSettings(Target(connector.name, {"location": "contract"}))
        try:
            with db.transaction() as tx:
                record_id = tx.records.add(contact, type_name="business-contact").id
            run_pass(db, settings, connector, lock_dir=tmp_path)
            (old_id,) = [rid for rid, ref in self.listing(connector).items() if ref.marker == Marker(db.id, record_id)]
            moved = self.fetch_one(connector, old_id).contact.copy(title="Moved and edited")
            # A user without a way of its own moves as a client would: upload again, delete the old.
            mover = user if hasattr(user, "user_move") else ConnectorUser(connector)
            new_id = mover.user_move(old_id, moved)

            result = run_pass(db, settings, connector, lock_dir=tmp_path)

            assert not result.report.problems, result.report.problems
            with db.transaction(readonly=True) as tx:
                record = tx.records.get(record_id)
            assert not record.is_deleted and record.contact.title == "Moved and edited"
            copies = [rid for rid, ref in self.listing(connector).items() if ref.marker == Marker(db.id, record_id)]
            assert copies == [new_id], copies
            run_pass(db, settings, connector, lock_dir=tmp_path)  # the pass after it leaves the copy where it is
            assert [rid for rid, ref in self.listing(connector).items() if ref.marker == Marker(db.id, record_id)] == [new_id]
        finally:
            db.dispose()

    def test_u2_uids_with_path_characters_stay_inside_the_target(self, connector: Any, contact: Contact) -> None:
        results = list(connector.create([WriteRequest(contact.copy(uid=uid), MARKER) for uid in HOSTILE_IDS]))
        created = {r.ref.remote_id: r.request.contact.uid for r in results if r.ok}
        assert all(isinstance(r.error, ConnectorError) for r in results if not r.ok), "failed writes must carry a ConnectorError: " + outcomes(results)
        assert set(created.values()) >= {uid for uid in HOSTILE_IDS if "\0" not in uid}, results
        for remote_id in created:
            assert "\0" not in remote_id and "../" not in remote_id and remote_id not in ("..", "."), remote_id
        assert set(self.listing(connector)) == set(created)
        fetched = {i.ref.remote_id: i.contact.uid for i in connector.fetch(list(created))}
        assert {rid: uid for rid, uid in created.items() if "\0" not in uid} == {
            rid: uid for rid, uid in fetched.items() if "\0" not in created[rid]
        }

    def test_u2_path_like_ids_are_not_found_and_touch_nothing(self, connector: Any, contact: Contact) -> None:
        ref = self.create_one(connector, contact)
        assert list(connector.fetch(HOSTILE_IDS)) == []
        updates = list(connector.update([WriteRequest(contact, MARKER, rid) for rid in HOSTILE_IDS]))
        deletes = list(connector.delete([WriteRequest(remote_id=rid) for rid in HOSTILE_IDS]))
        assert all(isinstance(r.error, NotFound) for r in updates + deletes), expected_all(
            ["NotFound"] * len(updates + deletes), updates + deletes
        )
        assert self.listing(connector) == {ref.remote_id: ref}


# -- driving the engine over a real connector -----------------------------------


class SyncHarness:
    """A business database and one target's sync settings, for connector sync tests.

    `sync()` runs a pass as `contacthub sync run` does: through the public
    engine API, with a freshly opened connector that is closed afterwards.
    """

    def __init__(self, tmp_path, target, open_connector, url: str | None = None) -> None:
        from contacthub.store import open_database
        from contacthub.sync.target import SyncSettings

        self.tmp_path = tmp_path
        self.db = open_database(url or f"sqlite:///{tmp_path / 'hub.sqlite'}")
        self.settings = SyncSettings(target)
        self.open_connector = open_connector

    def sync(self, connector=None, **options):
        from contacthub.sync.engine import run_pass

        connector = connector or self.open_connector()
        try:
            return run_pass(self.db, self.settings, connector, lock_dir=self.tmp_path, **options)
        finally:
            connector.close()

    def add(self, contact: Contact, type_name: str = "business-contact") -> str:
        with self.db.transaction() as tx:
            return tx.records.add(contact, type_name=type_name).id

    def record(self, record_id: str):
        with self.db.transaction(readonly=True) as tx:
            return tx.records.get(record_id)

    def edit(self, record_id: str, **fields) -> None:
        with self.db.transaction() as tx:
            tx.records.update(record_id, tx.records.get(record_id).contact.copy(**fields))
