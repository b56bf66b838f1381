"""Microsoft's per-mailbox limit (4 concurrent requests per mailbox) across workers.

The Graph client already keeps at most 4 requests in flight per connector
(GraphClient(subrequest_limit=4), connectors/graph/http.py). Across workers the
same holds when at most one pass per mailbox runs at a time: two fleet targets
on one mailbox (two folders of it) take turns, through the same lock the engine
uses for a target (a PostgreSQL advisory lock; a file lock on SQLite), keyed by
the mailbox.

Per tenant: at most CONTACTHUB_TENANT_PASSES (default 8) passes at once per
Microsoft 365 tenant (graph/sharepoint targets, tenant = the `tenant` option, or
the `authority` URL, else msal's default "organizations"), through N lock slots
of the same kind (PostgreSQL advisory locks keyed by tenant+slot; file locks on
SQLite); a pass that finds every slot taken is put off like a busy mailbox.
Microsoft's published limits ("Microsoft Graph service-specific throttling
limits", Outlook service limits: per app per mailbox 4 concurrent requests and
10,000 requests per 10 minutes; other limits per app per tenant):
https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

MAILBOX_CONNECTORS = ("graph", "ews")
TENANT_CONNECTORS = ("graph", "sharepoint")  # both sign in with connectors/graph/auth.py's tenant/authority options
DEFAULT_TENANT_PASSES = 8


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


def tenant_of(target) -> str | None:
    """The Microsoft 365 tenant a graph/sharepoint target signs in to, or None (other connectors)."""
    if target.connector not in TENANT_CONNECTORS:
        return None
    options = target.options
    tenant = options.get("tenant") or options.get("authority") or "organizations"
    return str(tenant).rstrip("/").casefold()


def tenant_passes() -> int:
    return max(1, int(os.environ.get("CONTACTHUB_TENANT_PASSES", DEFAULT_TENANT_PASSES)))


@contextmanager
def tenant_slot(db, target, lock_dir: Path) -> Iterator[None]:
    """Hold one of the tenant's N pass slots; raises Busy when all N are held by other passes."""
    from contacthub.sync.lock import Busy, pass_lock

    tenant = tenant_of(target)
    if tenant is None:
        yield
        return
    slots = tenant_passes()
    with ExitStack() as stack:
        for slot in range(slots):
            try:
                stack.enter_context(pass_lock(db, f"tenant:{tenant}:{slot}", lock_dir))
                break
            except Busy:
                continue
        else:
            raise Busy(f"{slots} passes on Microsoft 365 tenant {tenant} are running (CONTACTHUB_TENANT_PASSES); try again later")
        yield
