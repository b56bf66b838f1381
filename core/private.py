"""Owner-only files and folders (U5): what the hub stores is the user's contacts, for them alone.

Folders the hub makes are 0700 and files 0600, whatever the umask (the CLI also
sets the umask to 077 while it runs, so files made by libraries and plugins, like
SQLite's -wal and -shm, are owner-only too). Files an older contacthub left
readable by others are tightened on start, with one notice line.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
OTHERS = 0o077  # group and others' bits

log = logging.getLogger("contacthub")


def private_dir(path: Path) -> Path:
    """Make `path` and its missing parents as folders only the owner can open; an existing one is left as it is."""
    missing = []
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is narrowed by the umask; chmod makes it exact
    return Path(path)


def private_file(path: Path) -> Path:
    """Create `path` empty and owner-only if it does not exist (so what is then written there stays private)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def tighten(paths: Iterable[Path]) -> list[Path]:
    """Take group and others' bits off these files and folders where set; returns those changed.

    Links are not followed, and only the user's own files are touched.
    """
    fixed = []
    for path in paths:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode) or not info.st_mode & OTHERS or info.st_uid != os.getuid():
            continue
        try:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~OTHERS)
        except OSError:
            continue
        fixed.append(Path(path))
    return fixed


def tree(root: Path, depth: int, skip: frozenset[str] = frozenset()) -> Iterable[Path]:
    """`root` and what is under it, `depth` levels down, leaving out the folders named in `skip` (their own owner keeps them)."""
    if not root.exists():
        return
    yield root
    if depth == 0 or root.is_symlink() or not root.is_dir():
        return
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name not in skip:
            yield from tree(entry, depth - 1, skip)


def notice(fixed: list[Path]) -> None:
    """The one line saying what was tightened."""
    if fixed:
        names = ", ".join(str(p) for p in fixed[:3]) + (f" and {len(fixed) - 3} more" if len(fixed) > 3 else "")
        log.info("contacthub: %d files and folders were readable by others; now only you can read them: %s", len(fixed), names)
