"""How a pass ended (U4): an exit code for scripts, one summary line for people, a record for `sync status`.

cron, systemd's `Restart=on-failure` and scripts read the exit code; a person
reads one summary line per pass (not one warning per failed copy), and
`sync status` shows the last pass's outcome from the database.
"""

from __future__ import annotations

from typing import Any

DONE, PARTLY_DONE, ERROR, STOPPED = "done", "partly-done", "error", "stopped"
EXIT_CODES = {DONE: 0, ERROR: 1, PARTLY_DONE: 3, STOPPED: 4}
EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 error, nothing changed; 2 usage; 3 partly done (some writes failed, "
    "the next pass resumes); 4 stopped by a safety check (--force goes on)."
)
FIRST_REASONS = 3  # distinct reasons named in the summary line
KEPT_FAILURES = 200  # failed writes kept for `sync status --verbose`; their count is always exact


def outcome_of(report) -> str:
    """DONE, or PARTLY_DONE when a target write failed or the pass ended early."""
    return PARTLY_DONE if report.failures or report.ended_early else DONE


def summary_line(report, target: str) -> str | None:
    """The one line a pass that left writes undone prints; None for a pass that did all it set out to."""
    if outcome_of(report) == DONE:
        return None
    parts = []
    if report.ended_early:
        parts.append(f"the pass ended early: {report.ended_early}")
    if report.failures:
        parts.append(f"{len(report.failures):,} of {max(report.writes, len(report.failures)):,} writes to {target} failed (first: {first_reasons(report.failures)})")
    after = "what was done is kept, the next pass goes on" if report.ended_early else "the next pass retries"
    return f"sync: {'; '.join(parts)}; {after}. Details: contacthub sync status"


def first_reasons(failures) -> str:
    """The first failure of each distinct reason, a few of them, and "…" when there are more."""
    shown: dict[str, str] = {}
    for what, why, *_line in failures:
        if why not in shown:
            shown[why] = what
            if len(shown) == FIRST_REASONS:
                break
    text = "; ".join(f"{what}: {why}" for why, what in shown.items())
    return text + ("; …" if len(failures) > len(shown) else "")


def pass_record(outcome: str, report=None, plan=None, message: str = "") -> dict[str, Any]:
    """What the database keeps of the last pass (the sync target's `last_pass`, JSON)."""
    return {
        "outcome": outcome,
        "message": message or (report.ended_early if report else ""),
        "done": dict(report.done) if report else {},
        "problems": len(report.problems) if report else 0,
        "conflicts": len(report.conflicts) if report else 0,
        "plain": plan.plain if plan else 0,
        "writes": report.writes if report else 0,
        "failed": len(report.failures) if report else 0,
        "failures": [[f.what, f.why] for f in report.failures[:KEPT_FAILURES]] if report else [],
    }


def describe(last: dict[str, Any]) -> str:
    """The last pass in words, for `sync status`: done / partly done / error / stopped by the safety check."""
    outcome = last.get("outcome", DONE)  # passes recorded before outcomes were kept all finished
    if outcome == ERROR:
        return f"error: {last.get('message', '')}"
    if outcome == STOPPED:
        return str(last.get("message", "stopped by the safety check"))
    done = ", ".join(f"{n} {kind}" for kind, n in sorted(last.get("done", {}).items())) or "no changes"
    counts = f"{last.get('problems', 0)} problems, {last.get('conflicts', 0)} conflicts"
    if outcome == DONE:
        return f"done: {done}; {counts}"
    failed = f"{last.get('failed', 0):,} of {last.get('writes', 0):,} writes failed" if last.get("failed") else ""
    early = f"ended early: {last['message']}" if last.get("message") else ""
    what = "; ".join(p for p in (failed, early) if p)
    return f"partly done ({what}): {done}; {counts}; the next pass resumes"
