"""The Starlette application: routes from core/web/routes, templates, static files, and the guards.

Guards, outermost first: upload size limit (413), signed session cookie, login
(only when a password is set: off loopback), security headers. CSRF is checked
by `security.checked_form`, which every POST handler reads its form through
(tests/web/test_web_security.py posts to every POST route without a token).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from contacthub.web import pages
from contacthub.web.routes import auth, contacts, databases, duplicates, records, sync, sync_manage, transfer, types

HERE = Path(__file__).parent
MAX_UPLOAD = 10 * 1024 * 1024  # an import file; a bigger body is refused before it is read
OPEN_PATHS = ("/login", "/static/")


class BodyLimit:
    """Refuse a request body over `limit` bytes: by Content-Length at once, else while it streams."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_big(self.limit)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooBig
            return message

        try:
            await self.app(scope, counted, send)
        except _TooBig:
            await _too_big(self.limit)(scope, receive, send)


class _TooBig(Exception):
    pass


def _too_big(limit: int):
    return PlainTextResponse(f"The upload is larger than {limit // (1024 * 1024)} MiB.", status_code=413)


class LoginRequired:
    """With a password set, every page but /login and /static wants a logged-in session."""

    def __init__(self, app, password_hash: str | None) -> None:
        self.app, self.password_hash = app, password_hash

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.password_hash and not scope["path"].startswith(OPEN_PATHS):
            if not scope.get("session", {}).get("user"):
                if scope["method"] in ("GET", "HEAD"):
                    response = RedirectResponse("/login", status_code=303)
                else:
                    response = PlainTextResponse("Log in first.", status_code=401)
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


class SecurityHeaders:
    """No inline script, no framing, no sniffing, no referrer leaking record ids."""

    HEADERS = [
        (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                     b"script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]  # fmt: skip

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.HEADERS
            await send(message)

        return await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_app(
    workspace, *, secret_key: str, password_hash: str | None = None, https: bool = False, max_upload: int = MAX_UPLOAD
) -> Starlette:
    """The app over `workspace` (services.hub.Workspace). `password_hash`: login required (off loopback)."""
    routes = [
        *auth.routes, *contacts.routes, *records.routes, *sync.routes, *sync_manage.routes, *transfer.routes,
        *duplicates.routes, *databases.routes, *types.routes,
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]  # fmt: skip
    middleware = [
        Middleware(BodyLimit, limit=max_upload),
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret_key, https_only=https, same_site="strict", session_cookie="contacthub"),
        Middleware(LoginRequired, password_hash=password_hash),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=pages.EXCEPTION_HANDLERS)
    app.state.workspace = workspace
    app.state.password_hash = password_hash
    app.state.max_upload = max_upload
    return app
