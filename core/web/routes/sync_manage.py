"""Start, change and stop sync from the browser, with the CLI's safety rules (services.sync):
the target is checked (a missing folder only with "make the folder"), and stop / change first
say how many synced copies leave the target (C1, C2) and wait for a confirming second POST."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from contacthub.cli.output import plural
from contacthub.services import sync as service
from contacthub.web.pages import call, flash, redirect, render, workspace
from contacthub.web.security import checked_form


def _start(ws, target: str, category: str, filters: list[str], create: bool):
    """As `sync start`: checked target, warnings for unmatched filters, settings saved, first pass."""
    settings = service.new_settings(ws, target, category, filters)
    connector = service.open_checked(ws, settings.target, create)
    try:
        warnings = service.unmatched_filters(ws, filters)
        service.save(ws, settings)
        result = service.run_pass(ws, settings, connector=connector)
    finally:
        connector.close()
    return settings, warnings, result


async def start(request: Request):
    form = await checked_form(request)
    filters = [f.strip() for f in str(form.get("filter") or "").split(",") if f.strip()]
    ws = workspace(request)
    settings, warnings, result = await call(
        _start, ws, str(form.get("target") or "").strip(), str(form.get("category") or ""), filters, form.get("create") == "1"
    )
    for line in warnings:
        flash(request, line, "warn")
    copied = result.report.done.get("create-copy", 0) if result.report else 0
    flash(request, f"Sync started with {settings.target}: {plural(copied, 'copy', 'copies')} made.", "ok" if not result.exit_code else "warn")
    return redirect("/sync")


def _confirm(request, title: str, question: str, action: str, button: str, **fields):
    return render(request, "sync_confirm.html", title=title, question=question, action=action, button=button, fields=fields)


async def stop(request: Request):
    form = await checked_form(request)
    ws = workspace(request)
    settings = await call(service.settings, ws)
    if form.get("confirm") != "1":
        would = await call(service.remove_copies, ws, settings, True)
        return _confirm(request, "Stop sync?", f"Stopping removes {plural(would.count, 'synced copy', 'synced copies')} from {settings.target}. "
                        "Plain contacts there and the records here stay.", "/sync/stop", "Stop and remove the copies")  # fmt: skip
    outcome = await call(service.stop, ws)
    flash(request, f"Sync stopped: removed {plural(outcome.count, 'synced copy', 'synced copies')} from {settings.target}.")
    if outcome.problems:
        flash(request, f"{plural(len(outcome.problems), 'copy')} could not be removed (first: {outcome.problems[0]}); they keep their marker.", "warn")
    return redirect("/sync")


def _change(ws, target: str, create: bool):
    """As `sync change`: the new target checked first, the old copies removed, then a pass to the new one."""
    old = service.settings(ws)
    new = service.changed_settings(ws, target)
    service.open_checked(ws, new.target, create).close()
    removed = service.remove_copies(ws, old)
    service.save(ws, new)
    return old, new, removed, service.run_pass(ws, new)


async def change(request: Request):
    form = await checked_form(request)
    ws = workspace(request)
    target, create = str(form.get("target") or "").strip(), form.get("create") == "1"
    if form.get("confirm") != "1":
        old = await call(service.settings, ws)
        new = await call(service.changed_settings, ws, target)
        would = await call(service.remove_copies, ws, old, True)
        return _confirm(request, "Change the sync target?", f"Changing removes {plural(would.count, 'synced copy', 'synced copies')} from {old.target} "
                        f"and copies every selected business contact to {new.target}.", "/sync/change", "Change target",
                        target=target, create="1" if create else "")  # fmt: skip
    old, new, removed, result = await call(_change, ws, target, create)
    flash(request, f"Sync moved from {old.target} to {new.target}: {plural(removed.count, 'copy', 'copies')} removed there.",
          "ok" if not (result.exit_code or removed.problems) else "warn")  # fmt: skip
    return redirect("/sync")


routes = [
    Route("/sync/start", start, methods=["POST"]),
    Route("/sync/stop", stop, methods=["POST"]),
    Route("/sync/change", change, methods=["POST"]),
]
