"""The contact list: search as you type (the CLI's `contact list --search`), type filter, Deleted Items, pages."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.routing import Route

from contacthub.services import records
from contacthub.store.reading import ORDERS
from contacthub.web.pages import call, redirect, render, workspace

PAGE_SIZE = 50


def _filters(request: Request) -> dict:
    q = request.query_params
    return {
        "text": q.get("q", "").strip(),
        "type_name": q.get("type") or None,
        "category": q.get("category") or None,
        "deleted": q.get("deleted") == "1",
        "order": q.get("order") if q.get("order") in ORDERS else "name",  # allow-listed; else the default
    }


async def contact_list(request: Request):
    filters = _filters(request)
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    db = workspace(request).database()
    page = await call(records.list_page, db, offset=offset, limit=PAGE_SIZE, **filters)
    types = await call(records.record_types, db)
    query = {"q": filters["text"], "type": filters["type_name"] or "", "category": filters["category"] or "",
             "deleted": "1" if filters["deleted"] else "",
             "order": "" if filters["order"] == "name" else filters["order"]}  # fmt: skip
    base = urlencode({k: v for k, v in query.items() if v})
    context = {"page": page, "filters": filters, "types": types, "query": base, "title": "Contacts"}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "results":
        return render(request, "_rows.html", **context)  # search as you type: only the results
    return render(request, "contacts.html", **context)


async def home(request: Request):
    return redirect("/contacts")


routes = [Route("/", home), Route("/contacts", contact_list)]
