"""Databases: list, create, switch (the target's copies of the database left: keep, delete or import)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from contacthub.errors import ContactHubError
from contacthub.services import databases
from contacthub.web.pages import call, flash, redirect, render, workspace
from contacthub.web.security import checked_form


async def page(request: Request, error: str | None = None, status_code: int = 200, ask: dict | None = None):
    ws = workspace(request)
    ws.reload()
    found = await call(databases.list_databases, ws)
    return render(request, "databases.html", status_code=status_code, databases=found, ask=ask, error=error, title="Databases")


async def create(request: Request):
    form = await checked_form(request)
    name = (form.get("name") or "").strip()
    try:
        await call(databases.create, workspace(request), name, switch=form.get("use") == "1")
    except ContactHubError as exc:
        return await page(request, str(exc), 400)
    flash(request, f"Created database {name}.")
    return redirect("/databases")


async def use(request: Request):
    form = await checked_form(request)
    ws = workspace(request)
    name = form.get("name") or ""
    synced = form.get("synced") or None
    if synced is None:
        count = await call(databases.copies_left, ws, name)
        if count:  # ask, as the CLI does on a terminal
            return await page(request, ask={"name": name, "count": count})
    done = await call(databases.switch, ws, name, synced)
    message = f"Current database: {done.current}."
    if done.synced and done.synced != "keep":
        message += f" {done.handled} copies of {done.previous} {'deleted' if done.synced == 'delete' else 'imported'}."
    if done.result is not None:
        message += " Synced." if not done.result.exit_code else " The pass after the switch left some writes undone."
    flash(request, message)
    return redirect("/databases")


routes = [
    Route("/databases", page, methods=["GET"]),
    Route("/databases/create", create, methods=["POST"]),
    Route("/databases/use", use, methods=["POST"]),
]
