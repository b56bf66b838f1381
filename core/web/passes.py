""""Sync now" in the background: one pass at a time per app, its progress read by the page's poll.

The engine reports progress as `start(total)` then `advance(n)` (the CLI's rich bar
gets the same calls); here they only move two numbers that /sync/progress shows.
The outcome is kept until the next pass, so a page opened later still tells it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class PassProgress:
    running: bool = False
    done: int = 0
    total: int = 0
    outcome: str = ""  # the finished pass in one line ("Synced: 2 create." …)
    kind: str = "ok"  # ok | warn | error, as the flash messages
    conflicts: list[str] = field(default_factory=list)
    mass_deletion: bool = False  # the pass stopped to ask first: the page offers "sync anyway"

    # the engine's progress hook
    def start(self, total: int) -> None:
        self.total, self.done = total, 0

    def advance(self, n: int) -> None:
        self.done += n


class PassRunner:
    """Runs `sync now` passes in a daemon thread, one at a time."""

    def __init__(self) -> None:
        self.progress = PassProgress()
        self._lock = threading.Lock()

    def start(self, workspace, force: bool = False) -> bool:
        """Start a pass; False when one is running already (the page just shows that one)."""
        with self._lock:
            if self.progress.running:
                return False
            self.progress = PassProgress(running=True)
        thread = threading.Thread(target=self._run, args=(workspace, force, self.progress), name="contacthub-sync-now", daemon=True)
        thread.start()
        return True

    def _run(self, workspace, force: bool, progress: PassProgress) -> None:
        from contacthub.errors import ContactHubError
        from contacthub.services import sync as sync_service
        from contacthub.sync.engine import MassDeletion

        try:
            result = sync_service.run_pass(workspace, force=force, progress=progress)
            report = result.report
            done = ", ".join(f"{n} {kind}" for kind, n in sorted(report.done.items()) if n) or "no changes"
            failed = f" {len(report.failures)} writes failed; the next pass retries." if report.failures else ""
            progress.outcome = f"Synced: {done} ({progress.done} of {progress.total} changes).{failed}"
            progress.kind = "ok" if not result.exit_code else "warn"
            progress.conflicts = list(report.conflicts[:5])
        except MassDeletion as exc:
            # the CLI's advice (`--force`) becomes the page's "sync anyway" button
            progress.outcome = str(exc).split("; nothing was changed")[0] + "; nothing was changed."
            progress.kind, progress.mass_deletion = "warn", True
        except ContactHubError as exc:
            progress.outcome, progress.kind = f"Not synced: {exc}", "error"
        except Exception as exc:  # noqa: BLE001 - a thread's error must reach the page, not vanish
            progress.outcome, progress.kind = f"Not synced: {type(exc).__name__}: {exc}", "error"
        finally:
            progress.running = False


def runner(app) -> PassRunner:
    """The app's one runner, made on first use."""
    if getattr(app.state, "passes", None) is None:
        app.state.passes = PassRunner()
    return app.state.passes
