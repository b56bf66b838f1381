"""One sync pass: lock, plan, guard against mass deletion, apply, remember where we are."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from contacthub.connector import Connector
from contacthub.errors import ContactHubError, DatabaseError, SafetyStop
from contacthub.sync.apply import Applier, PassReport, SyncAborted
from contacthub.sync.lock import pass_lock
from contacthub.sync.outcome import DONE, ERROR, EXIT_CODES, PARTLY_DONE, STOPPED, outcome_of, pass_record
from contacthub.sync.plan import Plan, Planner
from contacthub.sync.state import TargetState
from contacthub.sync.target import SyncSettings

log = logging.getLogger(__name__)


class MassDeletion(SafetyStop):
    """A pass would delete more than the allowed share of the synced copies or records."""


@dataclass
class PassResult:
    plan: Plan
    report: PassReport | None  # None for a dry run

    @property
    def outcome(self) -> str:
        return DONE if self.report is None else outcome_of(self.report)

    @property
    def exit_code(self) -> int:
        """U4: 0 done, 3 partly done (some writes failed or the pass ended early; the next pass resumes)."""
        return EXIT_CODES[self.outcome]


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
    """Run one pass both ways. With `dry_run`, plan only and change nothing.

    How it ended is kept for `sync status` (U4): a pass stopped by a safety check
    (SafetyStop) or failing before it changed anything (other ContactHubErrors)
    raises after noting so; one whose target failed as a whole mid-way raises
    SyncAborted carrying its result; failed writes are in the result's report.
    """
    key = settings.target.key
    with pass_lock(db, key, lock_dir, wait=wait):
        try:
            plan = _plan(db, settings, connector, dry_run, force)
        except ContactHubError as exc:
            if not dry_run:
                _remember(db, key, pass_record(STOPPED if isinstance(exc, SafetyStop) else ERROR, message=str(exc)))
            raise
        if dry_run:
            return PassResult(plan, None)
        if progress is not None:
            progress.start(len(plan.actions))
        applier = Applier(db, key, connector, db.id, f"sync:{settings.target}", progress.advance if progress else None)
        applier.report.writes = sum(1 for a in plan.actions if a.writes_target)
        try:
            report = applier.apply(plan)
        except ContactHubError as exc:  # the target (or the database) failed as a whole: what was done stays done
            report = applier.report
            report.ended_early = str(exc)
            report.problems[:0] = plan.problems
            _remember(db, key, pass_record(PARTLY_DONE, report, plan))
            aborted = exc if isinstance(exc, SyncAborted) else SyncAborted(str(exc))
            aborted.result = PassResult(plan, report)
            raise aborted from None
        undone = bool(report.problems)
        report.problems[:0] = plan.problems
        with db.transaction() as tx:
            state = TargetState.get(tx.session, key)
            summary = pass_record(outcome_of(report), report, plan)
            if undone:
                # Something was left undone: keep the old watermarks so the next pass looks again.
                state.finish_pass(state.row.seq, state.row.change_token, state.row.selection, summary)
            else:
                state.finish_pass(plan.seq, plan.token, settings.selection_hash, summary)
        return PassResult(plan, report)


def _plan(db, settings: SyncSettings, connector: Connector, dry_run: bool, force: bool) -> Plan:
    key = settings.target.key
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
    return plan


def _remember(db, key: str, summary: dict) -> None:
    """Keep how a pass ended for `sync status`; the watermarks stay, so the next pass looks again.

    Best effort: when the database itself is what failed, a warning says so and the error stands.
    """
    try:
        with db.transaction() as tx:
            state = TargetState.get(tx.session, key)
            if state is not None:
                state.finish_pass(state.row.seq, state.row.change_token, state.row.selection, summary)
    except DatabaseError as exc:
        log.warning("the outcome of this pass could not be kept for `sync status`: %s", exc)
