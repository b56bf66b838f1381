"""What `sync status` shows: target, counts, last pass, pending changes, conflicts (U1)."""

from __future__ import annotations

from typing import Any

from contacthub.sync.plan import qualifies
from contacthub.sync.state import TargetState
from contacthub.sync.target import SyncSettings

RECENT_CONFLICTS = 20


def sync_status(db, settings: SyncSettings) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        state = TargetState.get(tx.session, settings.target.key)
        live = [r for r in tx.records.list() if qualifies(r, settings)]
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
        if state is None:
            return info
        names = {r.id: r.contact.best_name() for r in live}
        info["synced"] = state.link_count()
        info["pending"] = _pending(tx, state, settings) if state.row.seq else len(live)
        info["last_pass_at"] = state.row.last_pass_at.isoformat() if state.row.last_pass_at else None
        info["last_pass"] = state.row.last_pass
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
            for c in state.conflicts()[-RECENT_CONFLICTS:]
        ]
    return info


def _pending(tx, state: TargetState, settings: SyncSettings) -> int:
    """Records changed since the last pass that the next pass must carry to the target.

    A record the last pass itself updated (an edit taken from the target) is
    changed since, but already agrees with its copy: it is not pending.
    """
    changed = tx.records.changed_since(state.row.seq)
    links = state.links_for(r.id for r in changed)
    count = 0
    for record in changed:
        link = links.get(record.id)
        if link is None:
            count += qualifies(record, settings)
        else:
            count += not qualifies(record, settings) or record.contact.content_hash() != link.base.content_hash()
    return count
