"""The auth scheme a CardDAV server asked for, kept in the target's cache folder for the next process.

Without it every `contacthub sync run` sends its first request bare, reads the
server's 401 and its WWW-Authenticate, and sends it again: one round trip per
process. Only the scheme's name is kept ("basic", "digest", "bearer"), never a
credential; it is keyed by server and user, and a 401 to the remembered scheme
falls back to the challenge (dav.py), so a stale memo costs what no memo costs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

AUTH_FILE = "carddav-auth.json"


class AuthMemo:
    def __init__(self, folder: Path, location: str, username: str | None) -> None:
        self.path = Path(folder) / AUTH_FILE
        self.key = f"{username or ''} {location}"
        self.scheme: str | None = None
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            scheme = json.loads(self.path.read_text(encoding="utf-8")).get(self.key)
            self.scheme = scheme if isinstance(scheme, str) else None

    def save(self, scheme: str | None) -> None:
        """Keep `scheme` (what the requests carried last) if it is new; a failure only costs the next 401."""
        if scheme is None or scheme == self.scheme:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".carddav-auth-", suffix=".tmp")  # owner-only (U5)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump({self.key: scheme}, file)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.info("carddav: cannot keep the auth scheme in %s: %s", self.path.parent, exc.strerror)
            return
        self.scheme = scheme
