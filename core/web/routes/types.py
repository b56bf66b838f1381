"""The record types page: each type, what it is based on, and how many live records it holds (D1)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from contacthub.services import records
from contacthub.web.pages import call, render, workspace


async def page(request: Request):
    summary = await call(records.type_summary, workspace(request).database())
    return render(request, "types.html", summary=summary, title="Record types")


routes = [Route("/types", page, methods=["GET"])]
