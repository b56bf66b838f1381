"""Compare the database, the sync state and the target, and decide what a pass does.

Reading is cheap on both sides: the database is asked only for records changed
since the last pass (the global change counter), the target only for items
whose etag moved (or, with change tokens, only for what changed). An item whose
etag moved but whose content hash did not is no change (servers re-format).

Deciding is per record, from three facts: does the record qualify for sync
(business contact, not deleted, selected by the filter), is there a link to a
copy, and what happened to that copy (unchanged, changed, gone).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from contacthub.connector import Connector, Marker, RemoteItem, RemoteRef, TokenExpired
from contacthub.errors import SafetyStop
from contacthub.model import Contact, Record
from contacthub.sync.batching import batches
from contacthub.sync.copies import copy_hash, from_copy, from_linked_copy, to_copy, without_labels
from contacthub.sync.merge import FieldConflict, merge
from contacthub.sync.state import Link, LinkIndex, TargetState
from contacthub.sync.target import SyncSettings, qualifies  # qualifies: in target.py, so `sync status` needs no planner
from contacthub.sync.weigh import light_records

WEIGH_CHUNK = 200  # records read and weighed at a time when every record is weighed


class TargetLooksEmpty(SafetyStop):
    """A full listing came back empty while copies are known: never read as "all deleted"."""


# Action kinds, in the order a pass applies them.
ADOPT = "adopt-copy"  # link an existing marked copy (a pass that died after creating it)
MOVE = "relink-moved"  # S13: the linked copy moved to a new remote id; the link follows it
REFRESH = "refresh-etag"  # the copy was re-formatted, not changed
DROP = "drop-link"  # the copy is gone and the record no longer qualifies
TRASH = "trash-record"  # S5: the copy was deleted in the target
CREATE = "create-copy"  # S1, S6, S9
SYNC = "sync"  # S3, S4, S10: write the copy and/or the record
DELETE = "delete-copy"  # S6, S9, C1
ORDER = (ADOPT, MOVE, REFRESH, DROP, TRASH, CREATE, SYNC, DELETE)


@dataclass(slots=True)  # a first pass holds one per record
class Action:
    kind: str
    record_id: str
    name: str
    ref: RemoteRef | None = None  # the copy as last seen (id + etag for the precondition)
    copy: Contact | None = None  # content to write to the target (CREATE: read by the applier when it writes)
    record: Contact | None = None  # content to write to the record
    base: Contact | None = None  # what both sides agree on afterwards
    remote_hash: str = ""  # the copy's content hash afterwards, when no copy is written
    record_version: int = 0  # the record's version the plan read: a write is made only on that version
    conflicts: Sequence[FieldConflict] = ()  # not a list each: a first pass holds one Action per record
    # DELETE of a merged-away record's copy edited since (I3): that version, kept in the survivor's history
    orphan_edit: Contact | None = None

    @property
    def writes_target(self) -> bool:
        return self.kind in (CREATE, DELETE) or (self.kind == SYNC and self.copy is not None)

    @property
    def writes_database(self) -> bool:
        return self.kind == TRASH or self.record is not None


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    token: str = ""  # the change token to keep once the plan is applied
    seq: int = 0  # the database change counter this plan has seen
    links: int = 0  # synced copies known before the pass
    plain: int = 0  # plain contacts seen in the target (never touched, S7)
    label: str = ""  # the category label every copy carries (T3)

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.kind == kind)

    @property
    def deletions(self) -> int:
        """Copies removed plus records moved to Deleted Items: what the mass-deletion guard weighs."""
        return self.count(DELETE) + self.count(TRASH)


@dataclass
class RemoteView:
    """What the target said: items to read (linked ones whose etag moved, this database's
    copies without a link), ids known to be gone, and how many items a full listing had."""

    changed: list[RemoteRef]
    gone: set[str]
    token: str
    full: bool
    listed: int = 0  # items in a full listing
    plain: int = 0  # plain contacts and other databases' copies seen (never touched, S7, W1)


def read_target(connector: Connector, state_token: str, index: LinkIndex, database_id: str) -> RemoteView:
    """A change-token read where the connector has one (falling back to a full listing), else a listing.

    Only the linked copies in `index` can be "gone". A full listing is read as a stream
    into the index's scratch database and compared there (link_index.py): at 100,000
    copies, holding the listing and the links as Python objects cost more than the
    rest of a no-change pass.
    """
    if connector.capabilities.incremental:
        try:
            changes = connector.changes(state_token)
            full = not state_token
        except TokenExpired:
            changes = connector.changes("")
            full = True
        if not full:
            seen = index.compare(changes.changed, database_id)
            gone = set(index.records_of(changes.deleted))
            return RemoteView(seen.changed, gone, changes.token, full=False, plain=seen.plain)
        refs: Iterable[RemoteRef] = changes.changed
        token = changes.token
    else:
        refs = connector.list()
        token = ""
    seen = index.compare(refs, database_id)
    view = RemoteView(seen.changed, set(), token, full=True, listed=seen.listed, plain=seen.plain)
    if seen.linked < len(index):
        # Some linked copies were not listed: a second listing tells gone from renamed mid-listing
        # (the vcf connector lists from its cache, so this costs no reads).
        view.gone, renamed = index.gone(connector.list() if not connector.capabilities.incremental else refs, database_id)
        view.changed += renamed
    return view


def fetch_all(connector: Connector, ids: Iterable[str]) -> dict[str, RemoteItem]:
    ids = list(ids)
    items: dict[str, RemoteItem] = {}
    for batch in batches(ids, connector.capabilities.batch_size):
        items.update((item.ref.remote_id, item) for item in connector.fetch(batch))
    return items


class Planner:
    """Builds the plan of one pass for one target."""

    def __init__(self, tx, state: TargetState, connector: Connector, settings: SyncSettings, database_id: str) -> None:
        self.tx = tx
        self.state = state
        self.connector = connector
        self.settings = settings
        self.database_id = database_id
        self.fields = connector.capabilities.fields
        self.label = settings.category
        self._labels: list[str] | None = None  # every label written to the target, read when needed

    def plan(self, force: bool = False) -> Plan:
        plan = Plan(seq=self.tx.records.max_seq(), label=self.label)
        with self.state.link_index() as index:
            return self._plan(plan, index, force)

    def _plan(self, plan: Plan, index: LinkIndex, force: bool) -> Plan:
        plan.links = len(index)
        # The database side first: a target with a head start (carddav's prefetch) is answering meanwhile.
        changed, purged = self._changed_records(), self.state.orphan_record_ids()
        remote = read_target(self.connector, self.state.row.change_token, index, self.database_id)
        if remote.full and not remote.listed and index and not force:
            raise TargetLooksEmpty(
                f"target {self.settings.target} lists no contacts while {len(index)} synced copies are known; "
                "nothing was changed (if the copies really were all deleted there, run again with --force)"
            )
        plan.token, plan.plain = remote.token, remote.plain
        to_fetch = [ref.remote_id for ref in remote.changed]
        fetched = fetch_all(self.connector, to_fetch)

        linked = index.records_of(fetched)  # remote id -> record id of the fetched copies that have a link
        orphans = [fetched[i] for i in to_fetch if i in fetched and i not in linked]
        adopted, moved = self._adopt_orphans(plan, index, orphans, remote.gone)
        for records in self._records_to_check(index, remote, linked, adopted, changed, purged):
            # Full links (with their base snapshots) only for what this pass touches.
            links = self.state.links_for(index.linked(records))
            links.update((r, adopted[r]) for r in records if r in adopted)
            for record_id in moved.keys() & links.keys():
                # S13: the same base and last-seen hash, now at the new id: its edits merge as any copy's.
                links[record_id] = moved_link(links[record_id], moved[record_id])
            for record_id in sorted(records, key=lambda rid: records[rid].contact.best_name() if records[rid] else rid):
                self._decide(plan, record_id, records[record_id], links.get(record_id), remote, fetched)
        plan.actions.sort(key=lambda a: ORDER.index(a.kind))
        return plan

    # -- reading the database side ------------------------------------------

    def _changed_records(self) -> dict[str, Record] | None:
        """The records changed since the last pass; None when every record is weighed again:
        a first pass, or the filter or category changed (S1, S9)."""
        if self.state.row.seq == 0 or self.state.row.selection != self.settings.selection_hash:
            return None
        return {r.id: r for r in self.tx.records.changed_since(self.state.row.seq)}

    def _records_to_check(
        self,
        index: LinkIndex,
        remote: RemoteView,
        linked: dict[str, str],
        adopted,
        changed: dict[str, Record] | None,
        purged: list[str],
    ) -> Iterator[dict[str, Record | None]]:
        """The `changed` records (or every record), plus those whose copy changed or whose record was `purged`
        (None), a chunk at a time.

        When every record is weighed, only one chunk of them is held at once: a
        first pass of thousands would otherwise hold them all (the plan keeps no
        contact of a copy to create; apply.py reads it when it writes the copy).
        """
        seen: set[str] = set()
        if changed is None:
            for ids in batches(self.tx.records.ids(), WEIGH_CHUNK):
                # Records with a copy are read whole (they may merge); the others only weighed (weigh.py).
                with_copy = index.linked(ids) | (adopted.keys() & set(ids))
                records = light_records(self.tx.session, [r for r in ids if r not in with_copy], bool(self.settings.filters))
                records.update(self.tx.records.get_many(with_copy))
                seen.update(records)
                yield {record_id: records[record_id] for record_id in ids if record_id in records}
        else:
            seen.update(changed)
            yield changed
        rest: dict[str, Record | None] = {r: None for r in purged if r not in seen}
        touched = set(linked.values()) | set(index.records_of(remote.gone).values()) | set(adopted)
        for record_id in touched - seen - rest.keys():
            rest[record_id] = self._record_or_none(record_id)
        yield rest

    def _record_or_none(self, record_id: str) -> Record | None:
        # A merged-away id finds the record it was merged into (I3); for sync that record is gone.
        record = self._found(record_id)
        return record if record is not None and record.id == record_id else None

    def _merged_away(self, record_id: str) -> bool:
        """Was `record_id` merged into another record (`contact merge`, I3)? Its id then finds that one."""
        record = self._found(record_id)
        return record is not None and record.id != record_id

    def _found(self, record_id: str) -> Record | None:
        """The record `record_id` finds (a merged-away id finds the one it went into), or None."""
        from contacthub.errors import NotFoundError

        try:
            return self.tx.records.get(record_id)
        except NotFoundError:
            return None

    def qualifies(self, record: Record | None) -> bool:
        return qualifies(record, self.settings)

    # -- copies with our marker but no link (S12) ---------------------------

    def _adopt_orphans(
        self, plan: Plan, index: LinkIndex, orphans: list[RemoteItem], gone: set[str]
    ) -> tuple[dict[str, Link], dict[str, RemoteRef]]:
        """A marked copy without a link: a moved copy (S13), or one a killed pass created (S12).

        Moved: its record's linked copy vanished in the same listing or change set,
        so the user (a file manager, a client re-uploading under a new href) moved
        it; the link follows it to the new id. Otherwise it is linked as it is
        instead of making a twin. A second copy while the linked one is still there
        is left alone.
        """
        adopted: dict[str, Link] = {}
        moved: dict[str, RemoteRef] = {}
        for item in sorted(orphans, key=lambda i: i.ref.remote_id):
            record_id = item.ref.marker.record_id  # type: ignore[union-attr]
            linked_copy = index.remote_of(record_id)
            if linked_copy is not None and linked_copy in gone and record_id not in moved:
                moved[record_id] = item.ref
                plan.actions.append(Action(MOVE, record_id, item.contact.best_name(), ref=item.ref))
                continue
            if linked_copy is not None or record_id in adopted:
                plan.problems.append(
                    f"target {self.settings.target}: {item.ref.remote_id} is a second copy of record "
                    f"{record_id[:8]}; left alone"
                )
                continue
            record = self._record_or_none(record_id)
            if record is None:
                # This database's marker on a record it no longer has: a killed pass made the copy,
                # and the record was purged since. Its copy goes, as a linked one would (S6, S12).
                plan.actions.append(Action(DELETE, record_id, record_id[:8], ref=item.ref))
                continue
            # Fields the target cannot hold come from the record: the copy never had them.
            held_values = {name: getattr(item.contact, name) for name in self.fields if name != "uid"}
            base = record.contact.copy(**held_values)
            base = from_copy(base, self.label, record.contact)
            base = without_labels(base, self._written_labels(), record.contact)  # one from before the label changed
            remote_hash = copy_hash(item.contact, self.fields)
            adopted[record_id] = Link(record_id, item.ref.remote_id, item.ref.etag, remote_hash, base)
            plan.actions.append(
                Action(ADOPT, record_id, record.contact.best_name(), ref=item.ref, base=base, remote_hash=remote_hash)
            )
        return adopted, moved

    def _written_labels(self) -> list[str]:
        if self._labels is None:
            self._labels = TargetState.written_labels(self.tx.session, self.settings.target.key)
        return self._labels

    # -- the decision ---------------------------------------------------------

    def _decide(self, plan: Plan, record_id, record: Record | None, link: Link | None, remote: RemoteView, fetched) -> None:
        before = len(plan.actions)
        self._decide_one(plan, record_id, record, link, remote, fetched)
        for action in plan.actions[before:]:
            action.record_version = record.version if record else 0

    def _decide_one(self, plan: Plan, record_id, record, link, remote: RemoteView, fetched) -> None:
        name = record.contact.best_name() if record else record_id[:8]
        qualifies = self.qualifies(record)
        if link is None:
            if qualifies:
                plan.actions.append(Action(CREATE, record_id, name))  # its content is read when it is written
            return
        if link.remote_id in remote.gone:
            plan.actions.append(Action(TRASH if qualifies else DROP, record_id, name))
            return
        item = fetched.get(link.remote_id)
        if item is None and record is not None and not link.base.uid:
            item = self._copy_of_uidless_record(link)
        ref = item.ref if item else RemoteRef(link.remote_id, link.etag)
        remote_changed = item is not None and copy_hash(item.contact, self.fields) != link.remote_hash
        if item is not None and not remote_changed:
            plan.actions.append(Action(REFRESH, record_id, name, ref=ref))
        merged, conflicts = self._merge(record, link, item if remote_changed else None)
        # Decided on what the record holds after this pass: a category removed (or added) on the
        # phone can make it stop (or start) matching the filter, and S9 applies at once.
        if record is not None and merged is not record.contact:
            qualifies = self.qualifies(dataclasses.replace(record, contact=merged))
        if not qualifies:
            # The copy goes (S6, S9); edits made to it meanwhile are kept in the record first.
            keep = merged if record is not None and merged.content_hash() != record.contact.content_hash() else None
            # base: the merge, which the version that lost a conflict is made from (apply._losing_remote).
            action = Action(DELETE, record_id, name, ref=ref, record=keep, base=merged, conflicts=conflicts)
            if record is None and remote_changed and self._merged_away(record_id):
                action.orphan_edit = from_linked_copy(item.contact, self.label, link.base, link.remote_hash, self.fields)
            plan.actions.append(action)
            return
        if not link.base.uid and item is not None and item.contact.uid:
            merged = merged.copy(uid=item.contact.uid)  # the UID its copy was made with (see _copy_of_uidless_record)
        record_write = merged if merged.content_hash() != record.contact.content_hash() else None
        copy = to_copy(merged, self.label)
        current = item.contact if item is not None else None
        current_hash = copy_hash(current, self.fields) if current is not None else link.remote_hash
        # A linked copy without this record's marker (an import whose re-marking failed) is re-marked.
        foreign = item is not None and item.ref.marker != Marker(self.database_id, record_id)
        copy_write = copy if foreign or copy_hash(copy, self.fields) != current_hash else None
        if record_write is None and copy_write is None and merged.content_hash() == link.base.content_hash():
            if remote_changed:
                # The copy changed into what the record already makes: keep its new etag, or every
                # listing would read it again.
                plan.actions.append(Action(REFRESH, record_id, name, ref=ref))
            return
        plan.actions.append(
            Action(
                SYNC, record_id, name, ref=ref, copy=copy_write, record=record_write, base=merged,
                remote_hash=current_hash, conflicts=conflicts,
            )  # fmt: skip
        )

    def _copy_of_uidless_record(self, link: Link) -> RemoteItem | None:
        """The copy of a record that had no UID when an older contacthub made it (its base has none).

        That copy got a UID made up when it was written, which the target keeps and
        a CardDAV server refuses to see changed (RFC 6352 5.3.2.1). The record takes
        the copy's UID once, so later writes keep it; one GET per such copy, once.
        """
        return fetch_all(self.connector, [link.remote_id]).get(link.remote_id)

    def _merge(self, record: Record | None, link: Link, item: RemoteItem | None) -> tuple[Contact, list[FieldConflict]]:
        """The three-way merge of base, record and copy; without a copy change the record stands."""
        if record is None:
            return link.base, []
        if item is None:
            return record.contact, []
        remote = from_linked_copy(item.contact, self.label, link.base, link.remote_hash, self.fields)
        result = merge(
            link.base,
            record.contact,
            remote,
            fields=self.fields,
            policy=self.settings.conflict,
            local_changed_at=record.updated_at,
            remote_changed_at=item.changed_at,
        )
        return result.merged, result.conflicts


def moved_link(link: Link, ref: RemoteRef) -> Link:
    """The link of a moved copy (S13): at its new id, its etag unknown until its content is merged.

    The empty etag makes a pass killed right after the relink read the copy again
    and merge it from the same base, instead of taking it as unchanged (S12).
    """
    return dataclasses.replace(link, remote_id=ref.remote_id, etag="")

