"""What `fleet status` shows per target: last pass and outcome, lag, backoff, what is queued or running."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from contacthub.fleet.targets import FLEET_KEY_PREFIX
from contacthub.store.schema import FleetTargetRow, Meta, RecordRow, SyncTargetRow, utcnow


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def fleet_status(db) -> list[dict[str, Any]]:
    """One dict per target, by name.

    lag_seconds: since the last pass that reached the target (None: never);
    changes_behind: records changed in the database since the target's last
    complete pass (an upper bound: records its filter leaves out count too).
    """
    now = utcnow()
    with db.transaction(readonly=True) as tx:
        seq = tx.session.scalars(select(Meta.seq).where(Meta.id == 1)).one()
        synced = dict(tx.session.execute(select(SyncTargetRow.key, SyncTargetRow.seq)).all())
        rows = list(tx.session.scalars(select(FleetTargetRow).order_by(FleetTargetRow.name)))
        behind: dict[int, int] = {}
        for at in {synced.get(FLEET_KEY_PREFIX + r.name, 0) for r in rows}:
            behind[at] = 0 if at >= seq else tx.session.scalar(select(func.count()).select_from(RecordRow).where(RecordRow.seq > at))
    result = []
    for row in rows:
        backing_off = row.backoff_until is not None and row.backoff_until > now
        result.append({
            "name": row.name,
            "target": f"{row.connector}:{row.location}",
            "filter": list(row.filters),
            "category": row.category or None,
            "paused": row.paused,
            "state": _state(row, backing_off),
            "last_pass_at": _iso(row.last_pass_at),
            "outcome": row.last_outcome,
            "message": (row.last_pass or {}).get("message") or None,
            "failed_writes": (row.last_pass or {}).get("failed", 0),
            "first_failures": [f"{what}: {why}" for what, why in (row.last_pass or {}).get("failures", [])[:3]],
            "last_ok_at": _iso(row.last_ok_at),
            "lag_seconds": round((now - row.last_ok_at).total_seconds(), 1) if row.last_ok_at else None,
            "changes_behind": behind[synced.get(FLEET_KEY_PREFIX + row.name, 0)],
            "failures": row.failures,
            "backoff_until": _iso(row.backoff_until) if backing_off else None,
            "passes": row.passes,
            "running_on": row.running_on,
        })  # fmt: skip
    return result


def _state(row: FleetTargetRow, backing_off: bool) -> str:
    if row.paused:
        return "paused"
    if row.running_on:
        return "running"
    if row.enqueued_at:
        return "queued"
    if backing_off:
        return "backing off"
    return "idle"
