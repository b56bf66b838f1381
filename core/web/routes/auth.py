"""Log in (off loopback only: the one password, checked against its hash) and out."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.routing import Route

from contacthub.web.pages import call, redirect, render
from contacthub.web.security import check_password, checked_form


async def login_form(request: Request):
    return render(request, "login.html", title="Log in")


async def login(request: Request):
    form = await checked_form(request)
    stored = request.app.state.password_hash
    if stored and await call(check_password, form.get("password") or "", stored):
        request.session.clear()  # a new session (and CSRF token) after logging in: no fixation
        request.session["user"] = "owner"
        return redirect("/contacts")
    await asyncio.sleep(1)  # slows down guessing
    return render(request, "login.html", status_code=401, error="Wrong password.", title="Log in")


async def logout(request: Request):
    await checked_form(request)
    request.session.clear()
    return redirect("/login")


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
