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
import itertools
import logging
import os
import re
import socket
import stat
import sys
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
from contacthub.connectors.vcf.cache import CACHE_FILE, CHUNK, MarkerCache, marker_of  # noqa: F401  (CACHE_FILE: for tests)
from contacthub.connectors.vcf.cache import entry as cache_entry
from contacthub.errors import ConfigError
from contacthub.model import Contact
from contacthub.vcard import read_vcards

log = logging.getLogger(__name__)

SUFFIX = ".vcf"


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
        self._cache = MarkerCache(self.cache_dir)
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
        """The folder's contact files, a file at a time (nothing per file is held but the cache).

        The folder is opened now (a missing one raises here), read as the caller iterates.
        """
        return self._listed(self._scan())

    def _listed(self, scan: Iterator[tuple[str, os.stat_result]]) -> Iterator[RemoteRef]:
        cached, listed = self._cache.count(), 0  # cached files listed again: when fewer, some are gone
        while chunk := list(itertools.islice(scan, CHUNK)):
            entries = self._cache.lookup([name for name, _ in chunk])
            for name, st in chunk:
                item = entries.get(name)
                listed += item is not None
                if item is None or item[0] != _etag(st):
                    try:
                        data, st = _read_file(self.folder / name)
                    except NotFound:
                        self._cache.drop(name)
                        continue  # removed since the scan
                    except OSError as exc:
                        # Listing it without its marker would make a synced copy look deleted.
                        raise TargetError(f"vcf: cannot read {self.folder / name}: {exc.strerror}") from None
                    etag, marker = _etag(st), scan_marker(data)
                    self._cache.put(name, etag, marker)
                    item = cache_entry(etag, marker)
                yield RemoteRef(name, item[0], marker_of(item))
        if listed < cached:
            self._forget_gone()
        self._cache.save()

    def _forget_gone(self) -> None:
        """Drop the cache entries of files no longer in the folder."""
        with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
            self._cache.keep_only(item.name for item in entries)

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
        """New files, durable as a batch: write every temp file, make them all durable at once,
        then rename them into place and make the folder durable; only then are the results
        (and so the links the engine commits) handed back.

        A kill at any point leaves temp files (removed by the next listing) or complete,
        marked copies without links (adopted by the next pass, S12); a power cut the same,
        since no file is renamed before its content is on disk.
        """
        results: list[Result | None] = []
        written: list[tuple[int, WriteRequest, str, os.stat_result]] = []  # (slot, request, temp path, stat)
        try:
            for request in items:
                results.append(None)
                try:
                    if request.contact is None:
                        raise TargetError("vcf: create without a contact")
                    data = vcard_text(request.contact, request.marker).encode("utf-8")
                    written.append((len(results) - 1, request, *_write_temp(self.folder, data)))
                except (ConnectorError, OSError) as exc:
                    results[-1] = Result(request, error=_write_error(exc, self.folder))
            try:
                _sync_files(self.folder, [tmp for _, _, tmp, _ in written])
            except OSError as exc:  # not durable: none is renamed, all are reported (and removed below)
                for slot, request, _, _ in written:
                    results[slot] = Result(request, error=_write_error(exc, self.folder))
            for slot, request, tmp, st in written:
                if results[slot] is not None:
                    continue
                name = f"{uuid.uuid4().hex}{SUFFIX}"  # never derived from the contact's UID
                try:
                    os.replace(tmp, self.folder / name)
                except OSError as exc:
                    results[slot] = Result(request, error=_write_error(exc, self.folder))
                    continue
                results[slot] = Result(request, ref=self._remember(name, st, request.marker))
        finally:
            for slot, _, tmp, _ in written:
                if results[slot] is None or not results[slot].ok:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
            _fsync_dir(self.folder)  # makes the renames durable, once per batch
            self._cache.save(batch=True)
        return iter(results)  # type: ignore[arg-type]

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._update_one)

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._batch(items, self._delete_one)

    def close(self) -> None:
        self._cache.close()
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
        results = []
        try:
            for request in items:
                try:
                    results.append(Result(request, ref=one(request)))
                except (ConnectorError, OSError) as exc:
                    results.append(Result(request, error=_write_error(exc, self.folder)))
        finally:
            _fsync_dir(self.folder)  # makes the renames and unlinks durable, once per batch
            self._cache.save(batch=True)
        return iter(results)

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
        self._cache.drop(path.name)

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
        self._cache.put(name, ref.etag, marker)
        return ref

    # -- the folder and the cache -------------------------------------------------

    def _path(self, remote_id: str) -> Path:
        """The file for `remote_id`, which must be a plain contact file name in the folder."""
        if not _is_contact_file_name(remote_id):
            raise NotFound(f"vcf: {remote_id!r} is not a contact file name in {self.folder}")
        return self.folder / remote_id

    def _scan(self) -> Iterator[tuple[str, os.stat_result]]:
        """(name, stat) of each contact file, read as iterated; the folder is opened at once."""
        try:
            entries = os.scandir(self.folder)
        except FileNotFoundError:
            raise NotFound(f"vcf: folder {self.folder} does not exist") from None
        except OSError as exc:
            raise TargetError(f"vcf: cannot list folder {self.folder}: {exc.strerror}") from None
        return self._scanned(entries)

    def _scanned(self, entries) -> Iterator[tuple[str, os.stat_result]]:
        temps = []
        with entries:
            for entry in entries:  # one at a time: 100,000 DirEntry objects held at once cost 40 MB
                name = entry.name
                if _TEMP_NAME.match(name) or _OLD_TEMP_NAME.match(name):
                    temps.append(entry)
                elif _is_contact_file_name(name) and entry.is_file(follow_symlinks=False):
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # removed since the scan
                    yield name, st
        if temps:
            _remove_stale_temps(temps)


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


def _write_error(exc: Exception, folder: Path) -> ConnectorError:
    if isinstance(exc, ConnectorError):
        return exc
    return TargetError(f"vcf: {getattr(exc, 'filename', None) or folder}: {getattr(exc, 'strerror', None) or exc}")


def _write_temp(folder: Path, data: bytes) -> tuple[str, os.stat_result]:
    """`data` in a new temp file of the folder, not yet durable (see `_sync_files`); its path and stat."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            st = os.fstat(file.fileno())  # a rename keeps mtime, size and inode: this is the etag
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp, st


_syncfs = None  # libc's syncfs, looked up once (Linux); False where there is none


def _sync_files(folder: Path, paths: list[str]) -> None:
    """Make these files' contents durable: one syncfs(2) of the folder's file system where Linux
    has it (one journal commit for the batch, measured in bench/run.py), else an fsync each."""
    global _syncfs
    if not paths:
        return
    if _syncfs is None:
        _syncfs = False
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                import ctypes

                _syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    if _syncfs:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if _syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform or file system can
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
