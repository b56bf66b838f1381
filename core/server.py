"""The embedded CardDAV server set up for the hub: files, password, Radicale's config, the target, what to print.

Radicale (GPL-3.0) is a separate program that contacthub (MIT) starts with
`python -m radicale --config FILE` (server_process.py); it is never imported,
only looked for. TLS is server_tls.py. Everything lives in `Paths.data_dir / "server"` (owner-only):

    radicale.conf   Radicale's config (no password in it)
    htpasswd        the one user, with a bcrypt hash of the password
    password        the plain password, 0600, for the hub's own connector
    password.new    present while the password has not been shown by a start that worked
    collections/    Radicale's storage (the contacts, as plain .vcf files)
    changed         touched by Radicale's storage hook after every write
    radicale.log    Radicale's output
    radicale.pid    the running Radicale's process id (a restart clears a stale one)

Why a 0600 file and not the keyring for the hub's copy of the password: the
contacts it guards sit as plain files in the same owner-only folder, so a
keyring protects nothing more, and a locked keyring would stall a headless
`serve --sync`. The config file references the file (`{file = PATH}`).
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import os
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contacthub.errors import ConfigError, ContactHubError
from contacthub.server_tls import certificate, self_signed, tls_pin, tls_verify

USERNAME = "contacthub"
ADDRESSBOOK = "business"
ADDRESSBOOK_NAME = "Business contacts"
TARGET = "phone"  # the [targets.NAME] that serve writes
DEFAULT_PORT = 5232
START_TIMEOUT = 30.0
# No 0/O/1/l/I: the password is typed on a phone.
_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"
INSTALL_HINT = "install the server extra: pip install 'contacthub[server]'"

class ServerError(ContactHubError):
    """The embedded server cannot be set up or did not start."""


def radicale_missing() -> bool:
    """True when the `server` extra (radicale + bcrypt) is not installed."""
    return importlib.util.find_spec("radicale") is None or importlib.util.find_spec("bcrypt") is None


def is_loopback(host: str) -> bool:
    """Only 127.0.0.0/8, ::1 and "localhost" count; anything else can be reached from outside."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it is reachable from the network


@dataclass(frozen=True)
class ServerFiles:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> ServerFiles:
        return cls(Path(data_dir) / "server")

    config = property(lambda self: self.root / "radicale.conf")
    htpasswd = property(lambda self: self.root / "htpasswd")
    password = property(lambda self: self.root / "password")
    password_unshown = property(lambda self: self.root / "password.new")
    collections = property(lambda self: self.root / "collections")
    notify = property(lambda self: self.root / "changed")
    log = property(lambda self: self.root / "radicale.log")
    pid = property(lambda self: self.root / "radicale.pid")


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def check(self) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("serve: give both --tls-cert and --tls-key, or neither")
        for label, path in (("--tls-cert", self.tls_cert), ("--tls-key", self.tls_key)):
            if path is not None and not path.is_file():
                raise ConfigError(f"serve: {label} {path}: no such file")
        if not 0 < self.port < 65536:
            raise ConfigError(f"serve: --port {self.port} is not a TCP port")
        if self.tls_cert is not None:
            certificate(self.tls_cert)  # one clear line for a file that holds no certificate

    @property
    def local_host(self) -> str:
        """How the hub on this machine reaches the server: the bound address, loopback for a wildcard.

        With TLS too: the certificate is checked by its fingerprint (tls_pin), so it
        need not name the loopback address, only what the phones type.
        """
        if self.host in ("0.0.0.0", ""):
            return "127.0.0.1"
        if self.host == "::":
            return "[::1]"
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def local_url(self) -> str:
        return f"{self.scheme}://{self.local_host}:{self.port}/"

    @property
    def addressbook_url(self) -> str:
        return f"{self.local_url}{USERNAME}/{ADDRESSBOOK}/"


# -- files ------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically (never world-readable, not even briefly)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)  # an older tmp file may have had other bits
    os.replace(tmp, path)


def new_password() -> str:
    """Four groups of five unambiguous characters (about 100 bits), easy to type on a phone."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(chars[i : i + 5] for i in range(0, 20, 5))


def ensure_password(files: ServerFiles, renew: bool = False) -> str | None:
    """Make the user's password if there is none (or `renew`).

    Returns it while no start has shown it yet: a first start that fails after
    making it (port taken, bad certificate) must not lose it. `password_shown`
    ends that once a start worked and printed it.
    """
    files.root.mkdir(parents=True, exist_ok=True)
    os.chmod(files.root, 0o700)
    if not renew and files.password.is_file() and files.htpasswd.is_file():
        return read_password(files) if files.password_unshown.exists() else None
    import bcrypt

    password = new_password()
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")
    _write_private(files.password_unshown, "")  # first: a crash between the writes leaves it unshown
    _write_private(files.password, password)
    _write_private(files.htpasswd, f"{USERNAME}:{hashed}\n")
    return password


def password_shown(files: ServerFiles) -> None:
    """A start worked and printed the password: later starts no longer show it."""
    files.password_unshown.unlink(missing_ok=True)


def read_password(files: ServerFiles) -> str:
    return files.password.read_text(encoding="utf-8").strip()


@functools.cache
def _radicale_help() -> str:
    """Radicale's own option list, asked of the program (not imported: it stays a separate GPL program)."""
    try:
        done = subprocess.run([sys.executable, "-m", "radicale", "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout


def _radicale_knows(flag: str) -> bool:
    """Radicale refuses options it does not know, and they came in different 3.x releases."""
    return flag in _radicale_help()


def _hook_command(files: ServerFiles) -> str:
    """The storage hook: touch the notify file (Radicale %-formats the hook, so % is doubled)."""
    if os.name == "posix":
        command = f"touch {shlex.quote(str(files.notify))}"
    else:
        command = subprocess.list2cmdline([sys.executable, "-c", "import pathlib,sys; pathlib.Path(sys.argv[1]).touch()", str(files.notify)])
    return command.replace("%", "%%")


def write_config(files: ServerFiles, options: ServerOptions) -> None:
    """Radicale's config file: htpasswd/bcrypt, owner-only rights, storage and hook in the data dir."""
    for path in (files.root, files.collections, files.notify):
        if "\n" in str(path) or "\r" in str(path):
            raise ServerError(f"serve: the data folder {files.root!r} holds a line break; choose another CONTACTHUB_HOME")
    host = f"[{options.host}]" if ":" in options.host else options.host
    lines = [
        "# Written by `contacthub serve` at every start; edits are lost.",
        "[server]",
        f"hosts = {host}:{options.port}",
        f"ssl = {options.tls}",
    ]
    if options.tls:
        lines += [f"certificate = {options.tls_cert.resolve()}", f"key = {options.tls_key.resolve()}"]  # type: ignore[union-attr]
    lines += [
        "[auth]",
        "type = htpasswd",
        f"htpasswd_filename = {files.htpasswd}",
        "htpasswd_encryption = bcrypt",
    ]
    if _radicale_knows("--auth-cache-logins"):
        lines.append("cache_logins = True")  # a bcrypt check costs ~0.2 s; a pass makes several requests
    lines += [
        "[rights]",
        "type = owner_only",
        "[storage]",
        f"filesystem_folder = {files.collections}",
        f"hook = {_hook_command(files)}",
        "[web]",
        "type = none",
        "[logging]",
        "level = warning",
        "mask_passwords = True",
    ]
    files.collections.mkdir(parents=True, exist_ok=True)
    files.notify.touch()
    _write_private(files.config, "\n".join(lines) + "\n")


# -- the hub's target -------------------------------------------------------------------


def target_table(files: ServerFiles, options: ServerOptions) -> dict[str, Any]:
    table: dict[str, Any] = {
        "connector": "carddav",
        "location": options.addressbook_url,
        "username": USERNAME,
        "password": {"file": str(files.password)},
        "notify_file": str(files.notify),  # the push hook: the connector watches it
        "bulk_seed": True,  # our Radicale takes a first sync of the empty book in one PUT
    }
    verify = tls_verify(options)
    if verify is not True:
        table["verify_tls"] = verify
    if options.tls:
        table["tls_fingerprint"] = tls_pin(options)  # reached by 127.0.0.1: pin the certificate, not a name
    return table


# What serve writes into [targets.phone]; any other key there is the user's (adopt_new …) and is kept.
MANAGED_KEYS = ("connector", "location", "username", "password", "notify_file", "bulk_seed", "verify_tls", "tls_fingerprint")


def configure_target(config, files: ServerFiles, options: ServerOptions) -> bool:
    """Write [targets.phone] for the embedded server; True when the config changed.

    A [targets.phone] the user made for something else is never overwritten.
    """
    targets = config.other.setdefault("targets", {})
    current = targets.get(TARGET)
    if current is not None and current.get("notify_file") != str(files.notify):
        where = current.get("location") or current.get("connector") or "another target"
        raise ConfigError(
            f"[targets.{TARGET}] in {config.paths.config_file} already points at {where}: "
            f"rename or remove it so `contacthub serve` can set up its own"
        )
    kept = {k: v for k, v in (current or {}).items() if k not in MANAGED_KEYS}
    wanted = {**kept, **target_table(files, options)}
    if current == wanted:
        return False
    targets[TARGET] = wanted
    config.save()
    return True


# -- what to tell the user ----------------------------------------------------------------


def lan_address() -> str | None:
    """This machine's address on the local network (a UDP connect sends nothing), or None."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            address = sock.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def phone_host(options: ServerOptions) -> str:
    """The address a phone types in: the bound address, this machine's LAN address for a wildcard."""
    if options.host in ("0.0.0.0", "::", ""):
        return lan_address() or "THIS-COMPUTER'S-ADDRESS"
    return f"[{options.host}]" if ":" in options.host else options.host


def instructions(options: ServerOptions, password: str | None) -> list[str]:
    """The lines that tell a person how to add the address book on iOS and Android (DAVx5)."""
    host = phone_host(options)
    base = f"{options.scheme}://{host}:{options.port}/"
    shown = password if password is not None else "(the one shown when the server was set up; --new-password makes a new one)"
    lines = [
        f"CardDAV server: {base}  (address book: {base}{USERNAME}/{ADDRESSBOOK}/)",
        "",
        "iPhone / iPad: Settings > Contacts > Accounts > Add Account > Other > Add CardDAV Account",
        f"  Server:      {host}:{options.port}",
        f"  User Name:   {USERNAME}",
        f"  Password:    {shown}",
    ]
    if not options.tls:
        lines.append("  (iOS first tries SSL: answer Continue to set the account up without it)")
    lines += [
        "",
        "Android: DAVx5 > + > Login with URL and user name",
        f"  Base URL:    {base}",
        f"  User name:   {USERNAME}",
        f"  Password:    {shown}",
    ]
    if options.tls and self_signed(options):
        lines += trust_steps(options)
    if is_loopback(options.host):
        lines += ["", f"Note: the server listens on {options.host} only, so a phone cannot reach it; "
                      "use --host 0.0.0.0 with --tls-cert/--tls-key for phones on your network."]  # fmt: skip
    return lines


def trust_steps(options: ServerOptions) -> list[str]:
    """How a phone comes to trust a self-signed certificate (no CA vouches for it)."""
    pin = tls_pin(options) or ""
    fingerprint = ":".join(pin[i : i + 2] for i in range(0, len(pin), 2)).upper()
    return [
        "",
        f"The certificate {options.tls_cert} is self-signed: each phone must trust it first.",
        f"  SHA-256 fingerprint: {fingerprint}",
        "  iPhone / iPad: send the certificate file to the phone (AirDrop or mail) and open it;",
        "    Settings > General > VPN & Device Management > the profile > Install; then",
        "    Settings > General > About > Certificate Trust Settings > turn it on.",
        "  Android: Settings > Security > Encryption & credentials > Install a certificate > CA certificate",
        "    (the file); or DAVx5 shows the certificate when it connects: compare the fingerprint, accept it.",
    ]


def exposure_warning(options: ServerOptions) -> str | None:
    """The warning for a server reachable from the network without TLS (passwords and contacts in clear)."""
    if is_loopback(options.host) or options.tls:
        return None
    return (
        f"the server listens on {options.host}, reachable from the network, WITHOUT TLS: "
        "the password and the contacts travel in clear text. Give --tls-cert FILE --tls-key FILE "
        "(or put a TLS reverse proxy in front) unless this network is yours alone."
    )
