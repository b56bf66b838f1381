"""VcfConnector: a folder of .vcf files, one per contact (the vdir layout).

The remote id is the file name, the etag comes from `os.stat`, writes are
atomic (temp file, fsync, rename) and the marker is stored as two vCard
properties. `list()` reads only files whose etag changed since the last pass,
keeping the markers of the others in a cache file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import errno
import json
import logging
import os
import re
import socket
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from contacthub.connector import (
    Capabilities,
    ChangeSet,
    ConnectorContext,
    ConnectorError,
    Marker,
    NotFound,
    RemoteItem,
    RemoteRef,
    Result,
    TargetError,
    TokenExpired,
    WriteRequest,
    WrongEtag,
)
from contacthub.connectors.vcard_marker import scan_marker, scan_revision, strip_marker, vcard_text
from contacthub.errors import ConfigError
from contacthub.model import Contact
from contacthub.vcard import read_vcards

log = logging.getLogger(__name__)

SUFFIX = ".vcf"
CACHE_FILE = "vcf-markers.json"
CACHE_VERSION = 1

Cache = dict[str, tuple[str, Marker | None]]  # file name -> (etag, marker)


class VcfConnector:
    """A folder of .vcf files. Open it with `VcfConnector.open(options, context)`."""

    name = "vcf"
    description = "A folder of .vcf files, one per contact (vdir layout, as vdirsyncer and khard use)"
    capabilities = Capabilities(
        incremental=False,
        push=True,  # notify() watches the folder, so `sync watch` passes at once on a change
        batch_size=500,
        fields=frozenset(f.name for f in dataclasses.fields(Contact)),  # a vCard file holds everything
    )

    def __init__(self, folder: Path, cache_dir: Path, create: bool = False) -> None:
        self.folder = Path(folder)
        self.create_folder = create  # a missing folder is made, not refused (a typo must not become a new folder)
        self.cache_dir = Path(cache_dir)
        self._cache: Cache | None = None  # loaded on first use
        self._dirty = False
        self._observer = None  # the watchdog observer while notify() is on

    @classmethod
    def open(cls, options: Mapping[str, Any], context: ConnectorContext) -> VcfConnector:
        location = str(options.get("location") or "").strip()
        if not location:
            raise ConfigError("vcf: option 'location' (the folder path) is missing")
        create = options.get("create", False)
        if not isinstance(create, bool):
            raise ConfigError(f"vcf: option 'create' must be true or false, not {create!r}")
        return cls(Path(location).expanduser(), context.cache_dir, create=create)

    # -- the contract ---------------------------------------------------------

    def check(self) -> None:
        """The folder exists (made only with option `create`) and is writable."""
        folder = self.folder
        if not folder.exists():
            if not self.create_folder:
                raise NotFound(f"vcf: folder {folder} does not exist{_did_you_mean(folder)}")
            try:
                folder.mkdir(parents=True)
            except OSError as exc:
                raise TargetError(f"vcf: cannot create folder {folder}: {exc.strerror}") from None
        if not folder.is_dir():
            raise TargetError(f"vcf: {folder} is not a folder")
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(), suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise TargetError(f"vcf: folder {folder} is not writable: {exc.strerror}") from None

    def list(self) -> Iterator[RemoteRef]:
        cache = self._load_cache()
        fresh: Cache = {}
        for name, st in self._scan():
            etag = _etag(st)
            if name in cache and cache[name][0] == etag:
                fresh[name] = cache[name]
                continue
            try:
                data, st = _read_file(self.folder / name)
            except NotFound:
                continue  # removed since the scan
            except OSError as exc:
                # Listing it without its marker would make a synced copy look deleted.
                raise TargetError(f"vcf: cannot read {self.folder / name}: {exc.strerror}") from None
            fresh[name] = (_etag(st), scan_marker(data))
        if fresh != cache:
            self._cache, self._dirty = fresh, True
            self._save_cache()
        return iter([RemoteRef(name, etag, marker) for name, (etag, marker) in fresh.items()])

    def changes(self, token: str) -> ChangeSet:
        raise TokenExpired("vcf: a folder has no change tokens; list it instead")

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        items = []
        for name in ids:
            try:
                path = self._path(name)
                data, st = _read_file(path)
            except NotFound:
                continue
            except OSError as exc:
                log.warning("vcf: %s: cannot read: %s; skipped", self.folder / name, exc.strerror)
                continue
            try:
                result = read_vcards(data, source=str(path))
            except Exception as exc:  # bad input in one file must not stop the batch (U2)
                log.warning("vcf: %s: not a readable vCard (%s: %s); skipped", path, type(exc).__name__, exc)
                continue
            if not result.contacts:
                log.warning("vcf: %s: no readable vCard (%s); skipped", path, "; ".join(result.problems) or "empty")
                continue
            for problem in result.problems:
                log.warning("vcf: %s: %s", path, problem)
            if len(result.contacts) > 1:
                log.warning("vcf: %s: holds %d vCards; only the first is synced", path, len(result.contacts))
            contact = result.contacts[0]
            strip_marker(contact)
            items.append(RemoteItem(RemoteRef(name, _etag(st), scan_marker(data)), contact, scan_revision(data)))
        return iter(items)

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._create_one)

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._update_one)

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._delete_one)

    def close(self) -> None:
        self._save_cache()
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def notify(self, callback: Callable[[], None]) -> None:
        """Call `callback` when a contact file in the folder changes (for `sync watch`, S8)."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return  # someone (a phone app, the pass itself) only read a file
                names = [os.path.basename(os.fsdecode(p)) for p in (event.src_path, getattr(event, "dest_path", ""))]
                if any(_is_contact_file_name(n) for n in names if n):
                    callback()

        self._observer = Observer()
        self._observer.schedule(_Handler(), str(self.folder), recursive=False)
        self._observer.start()

    # -- writes -----------------------------------------------------------------

    def _batch(self, items: Iterable[WriteRequest], one: Callable[[WriteRequest], RemoteRef | None]) -> Iterator[Result]:
        self._load_cache()
        results = []
        try:
            for request in items:
                try:
                    results.append(Result(request, ref=one(request)))
                except ConnectorError as exc:
                    results.append(Result(request, error=exc))
                except OSError as exc:
                    where = exc.filename or self.folder
                    results.append(Result(request, error=TargetError(f"vcf: {where}: {exc.strerror}")))
        finally:
            _fsync_dir(self.folder)  # makes the renames and unlinks durable, once per batch
            self._save_cache()
        return iter(results)

    def _create_one(self, request: WriteRequest) -> RemoteRef:
        if request.contact is None:
            raise TargetError("vcf: create without a contact")
        name = f"{uuid.uuid4().hex}{SUFFIX}"  # never derived from the contact's UID
        st = _write_atomic(self.folder / name, vcard_text(request.contact, request.marker).encode("utf-8"))
        return self._remember(name, st, request.marker)

    def _update_one(self, request: WriteRequest) -> RemoteRef:
        path = self._path(request.remote_id)
        if request.contact is None:
            raise TargetError(f"vcf: update of {path} without a contact")
        current = self._guard(path, request.etag)
        st = _write_atomic(path, vcard_text(request.contact, request.marker).encode("utf-8"), previous=current)
        return self._remember(path.name, st, request.marker)

    def _delete_one(self, request: WriteRequest) -> None:
        path = self._path(request.remote_id)
        self._guard(path, request.etag)
        try:
            os.unlink(path)
        except FileNotFoundError:
            raise NotFound(f"vcf: {path} does not exist") from None
        if self._cache is not None and self._cache.pop(path.name, None):
            self._dirty = True

    def _guard(self, path: Path, etag: str) -> os.stat_result:
        """The file's current stat; WrongEtag when `etag` is given and no longer matches."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise NotFound(f"vcf: {path} does not exist") from None
        if not stat.S_ISREG(st.st_mode):
            raise NotFound(f"vcf: {path} is not a regular file")
        if etag and _etag(st) != etag:
            raise WrongEtag(f"vcf: {path} changed since it was read")
        return st

    def _remember(self, name: str, st: os.stat_result, marker: Marker | None) -> RemoteRef:
        """Record our own write in the marker cache, so the next list() need not read it."""
        ref = RemoteRef(name, _etag(st), marker)
        self._load_cache()[name] = (ref.etag, marker)
        self._dirty = True
        return ref

    # -- the folder and the cache -------------------------------------------------

    def _path(self, remote_id: str) -> Path:
        """The file for `remote_id`, which must be a plain contact file name in the folder."""
        if not _is_contact_file_name(remote_id):
            raise NotFound(f"vcf: {remote_id!r} is not a contact file name in {self.folder}")
        return self.folder / remote_id

    def _scan(self) -> Iterator[tuple[str, os.stat_result]]:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            raise NotFound(f"vcf: folder {self.folder} does not exist") from None
        except OSError as exc:
            raise TargetError(f"vcf: cannot list folder {self.folder}: {exc.strerror}") from None
        temps = [e for e in entries if _TEMP_NAME.match(e.name) or _OLD_TEMP_NAME.match(e.name)]
        if temps:
            _remove_stale_temps(temps)
        for entry in entries:
            if not (_is_contact_file_name(entry.name) and entry.is_file(follow_symlinks=False)):
                continue
            try:
                yield entry.name, entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed since the scan

    def _load_cache(self) -> Cache:
        if self._cache is None:
            self._cache = _read_cache(self.cache_dir / CACHE_FILE)
        return self._cache

    def _save_cache(self) -> None:
        if not self._dirty or self._cache is None:
            return
        entries = {
            name: [etag, marker.database_id, marker.record_id] if marker else [etag]
            for name, (etag, marker) in self._cache.items()
        }
        data = json.dumps({"version": CACHE_VERSION, "entries": entries}, separators=(",", ":"))
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.cache_dir / CACHE_FILE, data.encode("utf-8"))
        except OSError as exc:  # the cache only saves reads; the next pass reads the files again
            log.warning("vcf: cannot write the marker cache in %s: %s", self.cache_dir, exc.strerror)
            return
        self._dirty = False


# -- files --------------------------------------------------------------------------


_BAD_NAME_CHARS = re.compile(r"[/\\:\0]")  # one regex: list() checks every name in the folder each pass


def _is_contact_file_name(name: object) -> bool:
    """A plain, visible .vcf file name: no separators, no NUL, no drive, not hidden."""
    return (
        isinstance(name, str)
        and name.lower().endswith(SUFFIX)
        and not name.startswith(".")  # also rules out "." / ".." and our temp files
        and _BAD_NAME_CHARS.search(name) is None
        and len(name.encode("utf-8", "surrogateescape")) <= 255
    )


# Temp files carry their writer (host and pid), so a later pass can tell one left
# by a killed writer from one another process is writing right now (S12).
_TEMP_NAME = re.compile(r"^\.contacthub-(?P<host>[A-Za-z0-9.-]*)-(?P<pid>\d+)-[a-z0-9_]+\.tmp$")
_OLD_TEMP_NAME = re.compile(r"^\.[a-z0-9_]{8}\.tmp$")  # before writers were named: removed by age only
STALE_TEMP_AGE = 24 * 3600  # seconds; any host's temp file this old is abandoned


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64]


def _did_you_mean(folder: Path) -> str:
    """' (did you mean …?)' naming a sibling folder close to a missing one's name, or ''."""
    try:
        siblings = [p.name for p in folder.parent.iterdir() if p.is_dir()]
    except OSError:
        return ""
    close = difflib.get_close_matches(folder.name, siblings, n=1)
    return f" (did you mean {folder.parent / close[0]}?)" if close else ""


def _temp_prefix() -> str:
    return f".contacthub-{_host()}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _remove_stale_temps(entries: list[os.DirEntry]) -> None:
    """Unlink temp files whose writer died mid-write (a killed pass); leave live writers' alone."""
    now, host = time.time(), _host()
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_AGE
            if old or (match and match["host"] == host and not _pid_alive(int(match["pid"]))):
                os.unlink(entry.path)
                log.info("vcf: removed %s, left by an interrupted write", entry.path)
        except OSError:
            continue  # gone already, or not ours to remove


def _etag(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"


def _read_file(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and the stat of what was read (symlinks are not followed)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotFound(f"vcf: {path} does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotFound(f"vcf: {path} is a link, not a contact file") from None
        raise
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(file.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotFound(f"vcf: {path} is not a regular file")
        return file.read(), st


def _write_atomic(path: Path, data: bytes, previous: os.stat_result | None = None) -> os.stat_result:
    """Replace `path` with `data` atomically; returns the new file's stat.

    With `previous` (the file being replaced) the new file keeps its mode. The
    new file is a new inode, so its etag differs even within one clock tick.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if previous is not None:
            os.chmod(tmp, stat.S_IMODE(previous.st_mode))
        st = os.stat(tmp)  # a rename keeps mtime, size and inode: this is the new etag
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return st


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform or file system can
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_cache(path: Path) -> Cache:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        return {
            name: (entry[0], Marker(entry[1], entry[2]) if len(entry) == 3 else None)
            for name, entry in data["entries"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return {}  # a missing or damaged cache only costs one full read
