"""Taking a target's plain contacts into the database (A1–A3), by hand or as they appear.

`adopt` is what `contacthub adopt` runs; `adopt_new` is the opt-in for a target
that is the hub's own (`serve`'s address book, `[targets.phone] adopt_new`):
every plain contact found there is moved in as the chosen type.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from contacthub.connector import AuthError, Connector, Marker, RemoteRef, Throttled, WriteRequest
from contacthub.errors import ConfigError, ContactHubError, NotFoundError
from contacthub.sync.apply import retrying
from contacthub.sync.copies import copy_hash, to_copy
from contacthub.sync.lock import pass_lock
from contacthub.sync.state import TargetState
from contacthub.sync.target import SyncSettings

ADOPT_NEW = "adopt_new"  # the target option: adopt every plain contact as this record type


def find_remote(refs: list[RemoteRef], remote_id: str, target) -> RemoteRef:
    """The contact `remote_id` names: its id as `target list` prints it, its URL, or its file name alone."""
    wanted = remote_id.strip()
    exact = [r for r in refs if r.remote_id == wanted]
    if exact:
        return exact[0]
    if "://" in wanted:
        wanted = unquote(urlsplit(wanted).path)
    name = wanted.rstrip("/").rpartition("/")[2]
    found = [r for r in refs if r.remote_id == wanted or (name and r.remote_id.rstrip("/").rpartition("/")[2] == name)]
    if not found:
        raise NotFoundError(f"no contact {remote_id!r} in target {target}; `contacthub target list` shows the ids")
    if len(found) > 1:
        raise ContactHubError(f"{remote_id!r} names {len(found)} contacts in target {target}: give one of {', '.join(r.remote_id for r in found)}")
    return found[0]


def adopt(db, connector: Connector, settings: SyncSettings, remote_id: str, type_name: str, move: bool,
          lock_dir: Path, dry_run: bool = False):  # fmt: skip
    """A1–A3: copy or move a plain target contact into the database as any record type.

    Copy: the plain contact stays; the record gets a new UID, so a synced copy
    of it can sit beside the plain one. Move: a business contact that will be
    synced turns the plain contact into its synced copy in place; any other
    record type removes the plain contact. Holds the target's pass lock, so a
    running `sync watch` / `serve --sync` never sees it half done.
    """
    with pass_lock(db, settings.target.key, lock_dir, wait=True):
        ref = find_remote(list(connector.list()), remote_id, settings.target)
        return _adopt(db, connector, settings, ref, type_name, move, dry_run)


def _adopt(db, connector: Connector, settings: SyncSettings, ref: RemoteRef, type_name: str, move: bool, dry_run: bool,
           synced_only: bool = False):  # fmt: skip
    """Adopt one listed contact; with `synced_only`, one the sync would not select is left as it is (None)."""
    remote_id = ref.remote_id
    if ref.marker is not None:
        raise ContactHubError(f"{remote_id} in target {settings.target} is a synced copy, not a plain contact")
    items = list(connector.fetch([remote_id]))
    if not items:
        raise NotFoundError(f"no contact {remote_id!r} in target {settings.target} (deleted meanwhile?)")
    item = items[0]
    if item.ref.marker is not None:  # marked since it was listed
        raise ContactHubError(f"{remote_id} in target {settings.target} is a synced copy, not a plain contact")
    contact = item.contact if move else item.contact.copy(uid=str(uuid.uuid4()))
    key = settings.target.key
    with db.transaction() as tx:
        record_type = tx.types.get(type_name)
        synced = record_type.is_business_contact and settings.selects(contact.categories)
        if synced_only and not synced:
            return None
        record = tx.records.add(contact, type_name=record_type.name, source=f"adopt:{settings.target}")
        if move and synced:
            state = TargetState.get_or_create(tx.session, key, settings.target.connector)
            state.put_link(record.id, item.ref, copy_hash(item.contact, connector.capabilities.fields), contact)
        if dry_run:
            tx.session.rollback()
            return record, synced
    if move:
        marker = Marker(db.id, record.id)
        if synced:
            request = WriteRequest(to_copy(contact, settings.category), marker, remote_id, item.ref.etag)
            [result] = retrying(lambda: list(connector.update([request])), "target: marking the moved contact")
            if result.ok:
                with db.transaction() as tx:
                    TargetState.get(tx.session, key).set_etag(record.id, result.ref.etag)
        else:
            request = WriteRequest(remote_id=remote_id, etag=item.ref.etag)
            [result] = retrying(lambda: list(connector.delete([request])), "target: removing the moved contact")
        if not result.ok:
            raise ContactHubError(f"record {record.id[:8]} was created, but {remote_id} could not be changed: {result.error}")
    return record, synced


def adopt_new_type(settings: SyncSettings) -> str | None:
    """The record type the target's option adopt_new names, or None when it is off."""
    value = settings.target.options.get(ADOPT_NEW)
    if value in (None, "", False):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"[targets.{settings.target.name}] {ADOPT_NEW} must be a record type's name, not {value!r}")
    return value


@dataclass
class AdoptedNew:
    records: list[str] = field(default_factory=list)  # ids of the new records
    problems: list[str] = field(default_factory=list)


def adopt_new(db, connector: Connector, settings: SyncSettings, type_name: str, lock_dir: Path) -> AdoptedNew:
    """Move every plain contact of the target in as `type_name` (option adopt_new).

    Only for a target that is the hub's own: there, a contact without a marker
    was made on a phone. One that fails (changed meanwhile, refused) stays plain
    and is tried again the next time. Contacts of other databases, and those the
    [sync] filter would not select (moving them would take them off the phone),
    are left alone.
    """
    outcome = AdoptedNew()
    with pass_lock(db, settings.target.key, lock_dir, wait=True):
        plain = [r for r in connector.list() if r.marker is None]
        for ref in plain:
            try:
                adopted = _adopt(db, connector, settings, ref, type_name, move=True, dry_run=False, synced_only=True)
            except (AuthError, Throttled):
                raise  # not about this contact: the others would fail alike
            except ContactHubError as exc:
                outcome.problems.append(f"{ref.remote_id}: not adopted: {exc}")
                continue
            if adopted is not None:  # None: [sync] filter does not select it; moving it would take it off the phone
                outcome.records.append(adopted[0].id)
    return outcome
