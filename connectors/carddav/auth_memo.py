"""The auth scheme a CardDAV server asked for, kept in the target's cache folder for the next process.

Without it every `contacthub sync run` sends its first request bare, reads the
server's 401 and its WWW-Authenticate, and sends it again: one round trip per
process. Only the scheme's name is kept ("basic", "digest", "bearer"), never a
credential; it is keyed by server and user, and a 401 to the remembered scheme
falls back to the challenge (dav.py), so a stale memo costs what no memo costs.
"""

from __future__ import annotations

from pathlib import Path

from contacthub.connectors.carddav.memo_file import MemoFile

AUTH_FILE = "carddav-auth.json"


class AuthMemo:
    def __init__(self, folder: Path, location: str, username: str | None) -> None:
        self._file = MemoFile(folder, AUTH_FILE, f"{username or ''} {location}", lambda _: True, "the auth scheme")

    @property
    def scheme(self) -> str | None:
        return self._file.value

    def save(self, scheme: str | None) -> None:
        """Keep `scheme` (what the requests carried last) if it is new; a failure only costs the next 401."""
        if scheme is not None:  # a pass that sent no credential forgets nothing
            self._file.save(scheme)
