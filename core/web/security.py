"""What keeps the web app safe off loopback: the password (a hash on disk), the session key, CSRF tokens.

The password follows `serve`'s one-time model (core/server.py): made once,
shown once by the start that made it, typed on a phone (no 0/O/1/l/I). Only a
scrypt hash of it is kept (`web/password.hash`, 0600); a lost password is
replaced with `contacthub web --new-password`. The session cookie is signed
with a random key kept in `web/session.key` (0600), so a restart keeps people
logged in and no secret is ever put in a page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request

from contacthub.server import _write_private, is_loopback, new_password

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class WebFiles:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> WebFiles:
        return cls(Path(data_dir) / "web")

    password_hash = property(lambda self: self.root / "password.hash")
    session_key = property(lambda self: self.root / "session.key")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.strip().split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    again = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), **_SCRYPT).hex()
    return hmac.compare_digest(again, digest)


def ensure_password(files: WebFiles, renew: bool = False) -> str | None:
    """Make the password if there is none (or `renew`): the new plain password, to show once; else None."""
    if files.password_hash.is_file() and not renew:
        return None
    files.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    password = new_password()
    _write_private(files.password_hash, hash_password(password) + "\n")
    return password


def session_key(files: WebFiles) -> str:
    """The key that signs session cookies, made once."""
    if not files.session_key.is_file():
        files.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_private(files.session_key, secrets.token_hex(32))
    return files.session_key.read_text(encoding="utf-8").strip()


def start_refusal(host: str, tls: bool, insecure_http: bool) -> str | None:
    """Why the app must not start on `host` (None: it may). Loopback needs nothing; anything
    else gets a login always, and TLS unless --insecure-http says plain HTTP is meant."""
    if is_loopback(host):
        return None
    if not tls and not insecure_http:
        return (
            f"{host} can be reached from the network: give --tls-cert and --tls-key, "
            "or --insecure-http to send the password and contacts unencrypted"
        )
    return None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request):
    """The POSTed form, after its CSRF token was checked (403 without a matching one)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = request.session.get("csrf") or ""
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "The form has expired or did not come from this app: reload the page and try again.")
    return form
