"""The sync page: target, status, last pass, pending changes, conflicts (use the other value),
"sync now", and the target's plain contacts with an adopt button."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from contacthub.errors import ContactHubError
from contacthub.services import records
from contacthub.services import sync as sync_service
from contacthub.sync.status import value_text
from contacthub.web.pages import call, flash, redirect, render, workspace
from contacthub.web.passes import runner
from contacthub.web.security import checked_form


async def page(request: Request):
    ws = workspace(request)
    ws.reload()
    progress = runner(request.app).progress
    if await call(sync_service.settings_or_none, ws) is None:
        return render(request, "sync.html", status=None, conflicts=[], title="Sync", value=value_text, progress=progress)
    status = await call(sync_service.status, ws)
    conflicts = await call(sync_service.conflicts, ws)
    return render(request, "sync.html", status=status, conflicts=list(reversed(conflicts)), title="Sync", value=value_text, progress=progress)


async def target_contacts(request: Request):
    """Loaded after the page (hx-trigger=load): listing the target can take a moment."""
    ws = workspace(request)
    try:
        contacts = await call(sync_service.target_contacts, ws)
        types = await call(records.record_types, ws.database())
    except ContactHubError as exc:
        return render(request, "_target.html", contacts=[], types=[], error=str(exc))
    return render(request, "_target.html", contacts=contacts, types=types)


async def run_now(request: Request):
    """Start the pass in the background (force=1: the answer to the mass-deletion question);
    the page then polls /sync/progress."""
    form = await checked_form(request)
    runner(request.app).start(workspace(request), force=form.get("force") == "1")
    return redirect("/sync")


async def progress(request: Request):
    """The progress fragment: done/total while the pass runs (it polls itself again), then the outcome."""
    return render(request, "_progress.html", progress=runner(request.app).progress)


async def use_other(request: Request):
    await checked_form(request)
    try:
        conflict_id = int(request.path_params["id"])
    except ValueError:
        return render(request, "error.html", status_code=404, error="No such conflict.", title="Not found")
    outcome = await call(sync_service.use_other_value, workspace(request), conflict_id)
    flash(request, f"{outcome.after.contact.best_name()}: the other value is kept now; the next pass takes it to the target.")
    return redirect("/sync")


async def adopt(request: Request):
    form = await checked_form(request)
    remote_id = form.get("remote_id") or ""
    type_name = form.get("type") or "business-contact"
    record, synced = await call(sync_service.adopt, workspace(request), remote_id, type_name, form.get("move") == "1")
    flash(request, f"Adopted {record.contact.best_name()} as {record.type.name}; {'it is synced' if synced else 'it is not synced'}.")
    return redirect(f"/contacts/{record.id}")


routes = [
    Route("/sync", page, methods=["GET"]),
    Route("/sync/target", target_contacts, methods=["GET"]),
    Route("/sync/run", run_now, methods=["POST"]),
    Route("/sync/progress", progress, methods=["GET"]),
    Route("/sync/conflicts/{id}/other", use_other, methods=["POST"]),
    Route("/sync/adopt", adopt, methods=["POST"]),
]
