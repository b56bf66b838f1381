"""What `sync status` shows: target, counts, last pass, pending changes, conflicts (U1)."""

from __future__ import annotations

from typing import Any

from contacthub.sync.state import TargetState
from contacthub.sync.target import SyncSettings

RECENT_CONFLICTS = 20


def sync_status(db, settings: SyncSettings) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        state = TargetState.get(tx.session, settings.target.key)
        live = [r for r in tx.records.list() if r.type.is_business_contact and settings.selects(r.contact.categories)]
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
        info["pending"] = len(tx.records.changed_since(state.row.seq)) if state.row.seq else len(live)
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
