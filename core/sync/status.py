"""What `sync status` shows: target, counts, last pass, pending changes, conflicts (U1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, column, func, select, table

from contacthub.store.coltypes import JsonData, UTCDateTime
from contacthub.sync.batching import IDS_PER_QUERY, batches
from contacthub.sync.target import SyncSettings, qualifies

RECENT_CONFLICTS = 20

# A read-only command: read with SQLAlchemy Core (Database.reading), not the ORM models
# state.py works with, so `sync status` loads neither the ORM nor the planner. The
# columns named here are the models' (schema.py); tests/store/test_reading.py checks them.
sync_targets = table(
    "sync_targets",
    column("id", Integer),
    column("key", String),
    column("seq", Integer),
    column("last_pass_at", UTCDateTime()),
    column("last_pass", JsonData()),
)
sync_links = table("sync_links", column("target_id", Integer), column("record_id", String), column("base", JsonData()))
sync_conflicts = table(
    "sync_conflicts",
    column("id", Integer),
    column("target_id", Integer),
    column("record_id", String),
    column("at", UTCDateTime()),
    column("field", String),
    column("local", JsonData()),
    column("remote", JsonData()),
    column("winner", String),
)


def sync_status(db, settings: SyncSettings) -> dict[str, Any]:
    with db.reading() as read:
        target = read.execute(select(sync_targets).where(sync_targets.c.key == settings.target.key)).first()
        live = [r for r in read.records() if qualifies(r, settings)]
        info: dict[str, Any] = {
            "target": str(settings.target),
            "database": db.url_display,
            "category": settings.category or None,
            "filter": list(settings.filters),
            "conflict_policy": settings.conflict,
            "selected": len(live),
            "synced": 0,
            "pending": len(live),
            "last_pass_at": None,
            "last_pass": None,
            "conflicts": [],
        }
        if target is None:
            return info
        names = {r.id: r.contact.best_name() for r in live}
        links = sync_links.c
        info["synced"] = read.execute(select(func.count()).select_from(sync_links).where(links.target_id == target.id)).scalar_one()
        info["pending"] = _pending(read, target, settings) if target.seq else len(live)
        info["last_pass_at"] = target.last_pass_at.isoformat() if target.last_pass_at else None
        info["last_pass"] = target.last_pass
        recent = select(sync_conflicts).where(sync_conflicts.c.target_id == target.id)
        recent = recent.order_by(sync_conflicts.c.id.desc()).limit(RECENT_CONFLICTS)
        info["conflicts"] = [
            {
                "at": c.at.isoformat(),
                "record": names.get(c.record_id, c.record_id[:8]),
                "record_id": c.record_id,
                "field": c.field,
                "database": c.local,
                "target": c.remote,
                "winner": c.winner,
            }
            for c in reversed(read.execute(recent).all())
        ]
    return info


def _pending(read, target: Any, settings: SyncSettings) -> int:
    """Records changed since the last pass that the next pass must carry to the target.

    A record the last pass itself updated (an edit taken from the target) is
    changed since, but already agrees with its copy: it is not pending.
    """
    from contacthub.model import Contact

    changed = read.changed_since(target.seq)
    ids = sorted({r.id for r in changed})
    bases: dict[str, str] = {}
    links = sync_links.c
    for chunk in batches(ids, IDS_PER_QUERY):
        stmt = select(links.record_id, links.base).where(links.target_id == target.id, links.record_id.in_(chunk))
        bases.update((row.record_id, Contact.from_dict(row.base).content_hash()) for row in read.execute(stmt))
    count = 0
    for record in changed:
        base = bases.get(record.id)
        if base is None:
            count += qualifies(record, settings)
        else:
            count += not qualifies(record, settings) or record.contact.content_hash() != base
    return count


def value_text(value) -> str:
    """A conflicting field's value as one short text (`sync status`, the web's sync page): a list
    joined, a structured value (an address) by its plain parts, nothing as "(empty)"."""
    if value in (None, "", [], {}):
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v and not isinstance(v, (list, dict)))
    return str(value)
