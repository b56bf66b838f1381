"""Likely twins side by side, and a merge button (the CLI's `contact duplicates` / `contact merge`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from contacthub.services import records
from contacthub.web.pages import call, flash, redirect, render, workspace
from contacthub.web.security import checked_form


async def page(request: Request):
    twins = await call(records.duplicates, workspace(request).database())
    return render(request, "duplicates.html", twins=twins[:100], total=len(twins), title="Duplicates")


async def merge(request: Request):
    form = await checked_form(request)
    outcome = await call(records.merge, workspace(request).database(), form.get("keep") or "", form.get("other") or "")
    flash(request, f"Merged {outcome.merged.contact.best_name()} into {outcome.record.contact.best_name()}.")
    for line in outcome.dropped:
        flash(request, f"{line}; the other value stays in the history", "warn")
    return redirect(f"/contacts/{outcome.record.id}")


routes = [Route("/duplicates", page, methods=["GET"]), Route("/duplicates/merge", merge, methods=["POST"])]
