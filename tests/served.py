"""`contacthub serve` run as a subprocess, and what its tests share: the output parsed, waiting, certificates."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
import vobject

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"
EXAMPLE_NAMES = {"Andrea Dunker", "Jürgen Groß", "Northwind Traders"}
DEADLINE = 20.0
PROPFIND_TYPE = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/></D:prop></D:propfind>"""
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:carddav"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eventually(check, what: str, deadline: float = DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {deadline:.0f} s")


class Served:
    """A `contacthub serve|demo` subprocess, its output collected by a thread, its printed credentials parsed."""

    def __init__(self, *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "contacthub", *args, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy(),
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        eventually(lambda: any("stops" in line for line in self.lines) or self.process.poll() is not None, "serve starting", 40)
        assert self.process.poll() is None, self.output
        self.user = self._field("User Name")
        self.password = self._field("Password")
        self.book = re.search(r"\(address book: (\S+)\)", self.output).group(1)
        self.radicale_pid = int(re.search(r"process (\d+)", self.output).group(1))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def _field(self, label: str) -> str:
        return re.search(rf"^\s+{label}:\s+(\S+)", self.output, re.MULTILINE).group(1)

    @property
    def auth(self):
        return (self.user, self.password)

    def cards(self) -> dict[str, tuple[str, str]]:
        """href -> (etag, vCard text) of every card, read the way any CardDAV client would."""
        reply = requests.request("PROPFIND", self.book, data=PROPFIND_TYPE, auth=self.auth, headers={"Depth": "1"}, timeout=10)
        assert reply.status_code == 207
        cards = {}
        for response in ElementTree.fromstring(reply.content).findall("D:response", NS):
            href = response.findtext("D:href", namespaces=NS)
            if href.endswith(".vcf"):
                got = requests.get(self.book.split("/contacthub/")[0] + href, auth=self.auth, timeout=10)
                cards[href] = (got.headers["ETag"], got.text)
        return cards

    def names(self) -> set[str]:
        return {vobject.readOne(text).fn.value for _, text in self.cards().values()}

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@pytest.fixture
def serve():
    started: list[Served] = []

    def start(*args: str, port: int | None = None) -> Served:
        started.append(Served(*args, port=port))
        return started[-1]

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
        try:
            os.kill(served.radicale_pid, signal.SIGKILL)  # only if the test failed before it ended
        except (ProcessLookupError, AttributeError):
            pass


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/status").is_file() and "zombie" in Path(f"/proc/{pid}/status").read_text()


def self_signed(folder: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1"), days: int = 1) -> tuple[Path, Path]:
    """A throw-away self-signed certificate whose SAN holds `names` (host names and IP addresses), valid `days` from now
    (negative: expired since)."""
    import datetime
    import ipaddress

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def entry(text: str):
        try:
            return x509.IPAddress(ipaddress.ip_address(text))
        except ValueError:
            return x509.DNSName(text)

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([entry(n) for n in names])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=2)).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(san, critical=False).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file
