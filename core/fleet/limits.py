"""Microsoft's per-mailbox limit (4 concurrent requests per mailbox) across workers.

The Graph client already keeps at most 4 requests in flight per connector
(GraphClient(subrequest_limit=4), connectors/graph/http.py). Across workers the
same holds when at most one pass per mailbox runs at a time: two fleet targets
on one mailbox (two folders of it) take turns, through the same lock the engine
uses for a target (a PostgreSQL advisory lock; a file lock on SQLite), keyed by
the mailbox. Per-tenant limits are not enforced here.
https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

MAILBOX_CONNECTORS = ("graph", "ews")


def mailbox_of(target) -> str | None:
    """The mailbox a Microsoft target works in, or None (other connectors, or a user's own mailbox)."""
    if target.connector not in MAILBOX_CONNECTORS:
        return None
    mailbox = target.options.get("mailbox")
    if target.connector == "ews":  # ews: the location starts with the mailbox (ann@example.com/Contacts/…)
        mailbox = str(target.options.get("location", "")).split("/", 1)[0] or target.options.get("username")
    return str(mailbox).casefold() if mailbox else None


@contextmanager
def mailbox_lock(db, target, lock_dir: Path) -> Iterator[None]:
    """Hold the target's mailbox for one pass; raises contacthub.sync.lock.Busy when another pass holds it."""
    from contacthub.sync.lock import pass_lock

    mailbox = mailbox_of(target)
    with pass_lock(db, f"mailbox:{target.connector}:{mailbox}", lock_dir) if mailbox else nullcontext():
        yield
