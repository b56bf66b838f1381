"""Real CardDAV servers for the tests: Radicale, Xandikos and Cyrus IMAP on 127.0.0.1.

Each server gets a free port and its storage in a temp folder, is waited for
until it answers, and is stopped at teardown. Cyrus (Debian's `cyrus-imapd`
3.6, the server family Fastmail runs) is started by `cyrus/start.sh`, copied
from ../shared/tools/cyrus-carddav/ where it was tested: it rewrites cards on
store (refolds lines, splits TYPE lists) but returns the stored card's ETag. `Server.new_addressbook()` makes a
fresh, empty address book (with plain `requests`, not the connector), so tests
sharing one server process never see each other's contacts.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

USER = "alice"
PASSWORD = "s3cret:pass w0rd!"  # a colon and a space: must survive the auth layers

MKCOL_ADDRESSBOOK = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>
    <D:displayname>{name}</D:displayname>
  </D:prop></D:set>
</D:mkcol>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    kind: str  # "radicale", "xandikos" or "cyrus"
    url: str  # the server root, e.g. http://127.0.0.1:5232/
    home: str  # the user's address-book home path, e.g. /alice/
    username: str | None
    password: str | None
    process: subprocess.Popen | None  # None for Cyrus: its master daemonizes
    log: Path
    made: list[str] = field(default_factory=list)

    @property
    def auth(self):
        return (self.username, self.password) if self.username else None

    def new_addressbook(self, name: str | None = None) -> str:
        """Create an empty address book; returns its full URL (ending in /)."""
        name = name or f"book-{uuid.uuid4().hex[:10]}"
        url = f"{self.url.rstrip('/')}{self.home}{name}/"
        body = MKCOL_ADDRESSBOOK.format(name=name).encode("utf-8")
        response = requests.request("MKCOL", url, data=body, auth=self.auth, timeout=10,
                                    headers={"Content-Type": "application/xml; charset=utf-8"})
        assert response.status_code in (200, 201), f"MKCOL {url}: {response.status_code} {response.text[:300]}"
        self.made.append(url)
        return url

    def stop(self) -> None:
        if self.process is None:
            stop_cyrus(self.log.parent.parent)
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _wait_until_up(process: subprocess.Popen, url: str, log: Path, auth=None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            requests.request("PROPFIND", url, auth=auth, headers={"Depth": "0"}, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{url}: server did not answer within 30 s:\n{log.read_text()[-2000:]}")


def start_radicale(folder: Path, encryption: str = "plain") -> Server:
    """Radicale with htpasswd auth (plain or bcrypt) and owner-only rights."""
    folder.mkdir(parents=True, exist_ok=True)
    htpasswd = folder / "htpasswd"
    if encryption == "bcrypt":
        import bcrypt

        hashed = bcrypt.hashpw(PASSWORD.encode("utf-8"), bcrypt.gensalt(rounds=4)).decode("ascii")
        htpasswd.write_text(f"{USER}:{hashed}\n", encoding="utf-8")
    else:
        htpasswd.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    port = free_port()
    log = folder / "radicale.log"
    config = folder / "config"
    config.write_text("", encoding="utf-8")  # never the user's own Radicale config
    process = subprocess.Popen(
        [
            sys.executable, "-m", "radicale",
            "--config", str(config),
            "--server-hosts", f"127.0.0.1:{port}",
            "--storage-filesystem-folder", str(folder / "collections"),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(htpasswd),
            "--auth-htpasswd-encryption", encryption,
            "--auth-delay", "0",
            "--rights-type", "owner_only",
            "--logging-level", "warning",
        ],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    _wait_until_up(process, url, log)
    # Radicale makes the principal collection on the user's first authenticated request.
    requests.request("PROPFIND", f"{url}{USER}/", auth=(USER, PASSWORD), headers={"Depth": "0"}, timeout=10)
    return Server("radicale", url, f"/{USER}/", USER, PASSWORD, process, log)


def start_xandikos(folder: Path) -> Server:
    """Xandikos without auth (its htpasswd needs TLS; it expects a reverse proxy in front)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "xandikos.log"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "xandikos", "serve",
            "-d", str(folder / "data"), "--defaults",
            "-l", "127.0.0.1", "-p", str(port),
            "--state-dir", str(folder / "state"),
            "--no-detect-systemd",
        ],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "XDG_DATA_HOME": str(folder / "xdg")},
    )
    url = f"http://127.0.0.1:{port}/"
    _wait_until_up(process, url, log)
    return Server("xandikos", url, "/user/contacts/", None, None, process, log)


CYRUS_SCRIPTS = Path(__file__).parent / "cyrus"
CYRUS_BIN = Path("/usr/lib/cyrus/bin")
CYRUS_PACKAGES = "cyrus-imapd cyrus-caldav sasl2-bin"


def cyrus_missing() -> str | None:
    """What is missing to run Cyrus here (None: it can run). `.ci/run` installs the packages."""
    if os.name != "posix" or not hasattr(os, "geteuid"):
        return "Cyrus IMAP runs on Linux only"
    if not all((CYRUS_BIN / program).is_file() for program in ("master", "httpd", "imapd")) or not shutil.which("saslpasswd2"):
        return f"Cyrus IMAP is not installed (apt-get install -y {CYRUS_PACKAGES})"
    return None


def start_cyrus() -> Server:
    """Cyrus IMAP's CardDAV (httpd) with one user; each test makes its own address book (extended MKCOL).

    The folder comes from tempfile.mkdtemp, not pytest's tmp_path: as root, Cyrus
    drops to the `cyrus` user, which cannot enter /tmp/pytest-of-root (0700).
    Its path stays short: it holds a unix socket (about 100 characters at most).
    """
    folder = Path(tempfile.mkdtemp(prefix="cyrus-"))
    folder.chmod(0o755)
    port = free_port()
    try:
        done = subprocess.run([str(CYRUS_SCRIPTS / "start.sh"), str(folder), str(port)],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    except subprocess.TimeoutExpired:
        stop_cyrus(folder)
        raise RuntimeError("Cyrus did not start within 300 s") from None
    if done.returncode != 0:
        stop_cyrus(folder)
        raise RuntimeError(f"Cyrus did not start (exit {done.returncode}):\n{done.stderr[-2000:]}")
    book = done.stdout.strip().splitlines()[-1]  # .../dav/addressbooks/user/test/Default/
    url = f"http://127.0.0.1:{port}/"
    home = book[len(url) - 1 :].rsplit("/", 2)[0] + "/"
    return Server("cyrus", url, home, "test", "test-pass", None, folder / "log" / "master.log")


def stop_cyrus(folder: Path) -> None:
    subprocess.run([str(CYRUS_SCRIPTS / "stop.sh"), str(folder)], capture_output=True, timeout=60, check=False)
    shutil.rmtree(folder, ignore_errors=True)
