"""One sync pass: lock, plan, guard against mass deletion, apply, remember where we are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contacthub.connector import Connector
from contacthub.errors import ContactHubError
from contacthub.sync.apply import Applier, PassReport
from contacthub.sync.lock import pass_lock
from contacthub.sync.plan import Plan, Planner
from contacthub.sync.state import TargetState
from contacthub.sync.target import SyncSettings


class MassDeletion(ContactHubError):
    """A pass would delete more than the allowed share of the synced copies or records."""


@dataclass
class PassResult:
    plan: Plan
    report: PassReport | None  # None for a dry run


def check_deletions(plan: Plan, settings: SyncSettings) -> None:
    """Outlook CalDav Synchronizer's users' worst pain: a pass that wipes a folder. Ask first."""
    if plan.deletions > 1 and plan.deletions > settings.max_delete_share * max(plan.links, 1):
        raise MassDeletion(
            f"this pass would remove {plan.deletions} of {plan.links} synced copies or their records "
            f"(more than {settings.max_delete_share:.0%}); nothing was changed. "
            "Check the target, then run `contacthub sync run --force` if that is what you want"
        )


def run_pass(
    db,
    settings: SyncSettings,
    connector: Connector,
    *,
    lock_dir: Path,
    dry_run: bool = False,
    force: bool = False,
    wait: bool = False,
    progress=None,
) -> PassResult:
    """Run one pass both ways. With `dry_run`, plan only and change nothing."""
    key = settings.target.key
    with pass_lock(db, key, lock_dir, wait=wait):
        connector.check()
        if not dry_run:
            with db.transaction() as tx:
                TargetState.get_or_create(tx.session, key, settings.target.connector)
        # Planning waits for the target (changes, downloads): in a read-only transaction, so
        # SQLite's write lock is not held meanwhile and others can write (the pass lock keeps
        # other passes out; what changes meanwhile is seen by the next pass).
        with db.transaction(readonly=True) as tx:
            state = TargetState.get(tx.session, key) or TargetState.unsaved(tx.session, key, settings.target.connector)
            plan = Planner(tx, state, connector, settings, db.id).plan(force=force)
        if not force:
            check_deletions(plan, settings)
        if dry_run:
            return PassResult(plan, None)
        if progress is not None:
            progress.start(len(plan.actions))
        applier = Applier(db, key, connector, db.id, f"sync:{settings.target}", progress.advance if progress else None)
        report = applier.apply(plan)
        undone = bool(report.problems)
        report.problems[:0] = plan.problems
        with db.transaction() as tx:
            state = TargetState.get(tx.session, key)
            summary = {"done": report.done, "problems": len(report.problems), "conflicts": len(report.conflicts), "plain": plan.plain}
            if undone:
                # Something was left undone: keep the old watermarks so the next pass looks again.
                state.finish_pass(state.row.seq, state.row.change_token, state.row.selection, summary)
            else:
                state.finish_pass(plan.seq, plan.token, settings.selection_hash, summary)
        return PassResult(plan, report)
