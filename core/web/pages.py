"""What every page shares: the Jinja2 environment (autoescaped), render, flash messages, errors."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from contacthub.errors import ContactHubError, NotFoundError
from contacthub.web.security import CSRF_FIELD, csrf_token

# autoescape on for every template, whatever its name: a contact called <script> is text.
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)


def workspace(request: Request):
    return request.app.state.workspace


async def call(func, *args, **kwargs):
    """Run a blocking service call (database, target) off the event loop."""
    return await run_in_threadpool(partial(func, *args, **kwargs))


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once, on the next page rendered for this session."""
    request.session.setdefault("flash", []).append([kind, message])


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ws = workspace(request)
    try:
        current = ws.config.current_database
    except ContactHubError:
        current = ""
    context = {
        "request": request,
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "current_database": current,
        "logged_in": bool(request.session.get("user")),
        "login_needed": bool(request.app.state.password_hash),
        "messages": request.session.pop("flash", []),
        "error": None,
        **context,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """After a POST: go to a page with GET (303), so reloading does not post again."""
    return RedirectResponse(url, status_code=303)


async def _expected(request: Request, exc: ContactHubError):
    status = 404 if isinstance(exc, NotFoundError) else 400
    return render(request, "error.html", status_code=status, title="Not done", error=str(exc))


async def _http(request: Request, exc: HTTPException):
    return render(request, "error.html", status_code=exc.status_code, title=f"Error {exc.status_code}", error=exc.detail)


EXCEPTION_HANDLERS = {ContactHubError: _expected, HTTPException: _http}
