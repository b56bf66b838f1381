"""The embedded server's process: Radicale started, waited for, stopped, and never left behind.

Radicale (GPL-3.0) is started as `python -m radicale --config FILE`, never
imported. A Radicale that outlived its hub is found by `server/radicale.pid`
and its command line, and ended before a new one starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from contacthub.server import (
    ADDRESSBOOK_NAME,
    START_TIMEOUT,
    USERNAME,
    ServerError,
    ServerFiles,
    ServerOptions,
    _write_private,
)
from contacthub.server_tls import http_pool, tls_reason

MKCOL_ADDRESSBOOK = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>
    <D:displayname>{name}</D:displayname>
  </D:prop></D:set>
</D:mkcol>"""


def _die_with_parent(parent: int):
    """Linux: Radicale is SIGKILLed the moment contacthub dies without stopping it (kill -9, OOM).

    PR_SET_PDEATHSIG, not a pipe Radicale would watch: the kernel sends it, so it
    needs no code in Radicale (a separate program we only start). SIGKILL, not
    SIGTERM: on SIGTERM Radicale first finishes its requests and threads, 9-30 s
    during which a restarted hub cannot listen on the port; its storage writes a
    card to a temp file and renames it, so being killed tears no card. If the
    parent died before prctl ran, the child ends itself.
    """

    def set_up() -> None:
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:
            os._exit(1)

    return set_up


class Radicale:
    """The running server process."""

    def __init__(self, files: ServerFiles, options: ServerOptions) -> None:
        self.files = files
        self.options = options
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        clear_stale(self.files)
        _check_port_free(self.options)
        log = open(self.files.log, "ab")  # noqa: SIM115 (the child keeps it)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(self.files.config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches contacthub, which then stops Radicale in order.
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()) if sys.platform.startswith("linux") else None,
            )  # fmt: skip
        finally:
            log.close()
        _write_private(self.files.pid, f"{self.process.pid}\n")
        self._wait_until_up()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _wait_until_up(self) -> None:
        import urllib3

        deadline = time.monotonic() + START_TIMEOUT
        url = self.options.local_url
        pool = http_pool(self.options)
        while time.monotonic() < deadline:
            if not self.running():
                raise ServerError(f"serve: Radicale exited at start ({self._log_tail()}); see {self.files.log}")
            try:
                pool.request("GET", url, timeout=2, retries=False)
                return
            except urllib3.exceptions.SSLError as exc:
                self.stop()
                raise ServerError(f"serve: {url}: the certificate {self.options.tls_cert} does not check out ({tls_reason(exc)})") from None
            except urllib3.exceptions.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise ServerError(f"serve: Radicale did not answer on {url} within {START_TIMEOUT:.0f} s; see {self.files.log}")

    def _log_tail(self) -> str:
        try:
            lines = self.files.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1][:300] if lines else "no output"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not end in time."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        self.files.pid.unlink(missing_ok=True)


def _our_radicale(pid: int, files: ServerFiles) -> bool:
    """Is process `pid` a Radicale started with this data folder's config? (Linux /proc; elsewhere: unknown, so no.)"""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"radicale" in argv and os.fsencode(str(files.config)) in argv


def clear_stale(files: ServerFiles) -> None:
    """End a Radicale of ours that outlived the hub that started it (a pid file left behind).

    Only a process whose command line is Radicale with this very config is
    killed; a pid reused by anything else is left alone (the port check then
    says what is in the way).
    """
    try:
        pid = int(files.pid.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return
    if pid > 0 and pid != os.getpid() and _our_radicale(pid, files):
        try:
            os.kill(pid, signal.SIGKILL)  # its hub is gone; nothing waits for its answers
        except ProcessLookupError:
            pass
        # Wait until it is a zombie or gone, not merely "not ours": an exiting process drops its
        # memory (so its /proc cmdline reads empty) before it closes its files, the listening socket too.
        deadline = time.monotonic() + 10
        while not _zombie(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    files.pid.unlink(missing_ok=True)


def _zombie(pid: int) -> bool:
    """Killed, and only waiting for its parent to reap it (its port is free already)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _check_port_free(options: ServerOptions) -> None:
    """Fail clearly when something already listens there (else the start-up probe could talk to it)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(options.host, options.port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a just-stopped server's TIME_WAIT is fine
            sock.bind(address)
    except OSError as exc:
        raise ServerError(
            f"serve: cannot listen on {options.host}:{options.port} ({exc.strerror or exc}); "
            "is a server already running there? Choose another with --port"
        ) from None


def ensure_addressbook(options: ServerOptions, password: str) -> None:
    """Create the business address book over CardDAV (MKCOL) unless it exists."""
    import urllib3

    pool = http_pool(options)
    headers = urllib3.make_headers(basic_auth=f"{USERNAME}:{password}")
    url = options.addressbook_url

    def request(method: str, where: str, **extra):
        return pool.request(method, where, headers={**headers, **extra.pop("headers", {})}, timeout=10, retries=False, **extra)

    try:
        # The first authenticated request makes the user's principal collection.
        request("PROPFIND", f"{options.local_url}{USERNAME}/", headers={"Depth": "0"})
        if request("PROPFIND", url, headers={"Depth": "0"}).status == 207:
            return
        body = MKCOL_ADDRESSBOOK.format(name=ADDRESSBOOK_NAME).encode("utf-8")
        made = request("MKCOL", url, body=body, headers={"Content-Type": "application/xml; charset=utf-8"})
    except urllib3.exceptions.SSLError as exc:
        raise ServerError(f"serve: {url}: TLS: {tls_reason(exc)}") from None
    except urllib3.exceptions.HTTPError as exc:
        raise ServerError(f"serve: cannot reach {url}: {type(exc).__name__}") from None
    if made.status not in (200, 201):
        raise ServerError(f"serve: creating the address book {url} failed: HTTP {made.status}")
