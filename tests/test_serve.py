"""`contacthub serve` / `demo`: the embedded Radicale, checked from outside with plain HTTP (requests + vobject).

Servers bind 127.0.0.1 only; the non-loopback warning is checked on the --dry-run path.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
import vobject

pytest.importorskip("radicale")

from contacthub.config import resolve_secret  # noqa: E402
from contacthub.errors import ConfigError  # noqa: E402

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"
EXAMPLE_NAMES = {"Andrea Dunker", "Jürgen Groß", "Northwind Traders"}
DEADLINE = 20.0
PROPFIND_TYPE = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/></D:prop></D:propfind>"""
PROPFIND_NAME = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"""
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:carddav"}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _eventually(check, what: str, deadline: float = DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {deadline:.0f} s")


class Served:
    """A `contacthub serve|demo` subprocess, its output collected by a thread, its printed credentials parsed."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "contacthub", *args, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy(),
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        _eventually(lambda: any("stops" in line for line in self.lines) or self.process.poll() is not None, "serve starting", 40)
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

    def start(*args: str) -> Served:
        started.append(Served(*args))
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


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/status").is_file() and "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_serve_gives_a_password_protected_business_addressbook_and_sigterm_ends_both(serve, home):
    served = serve("serve")
    # An independent client finds the address book from the user's principal.
    reply = requests.request("PROPFIND", served.book.rsplit("/", 2)[0] + "/", data=PROPFIND_TYPE, auth=served.auth, headers={"Depth": "1"}, timeout=10)
    assert reply.status_code == 207
    books = [
        r.findtext("D:href", namespaces=NS)
        for r in ElementTree.fromstring(reply.content).findall("D:response", NS)
        if r.find(".//C:addressbook", NS) is not None
    ]
    assert books == ["/contacthub/business/"]
    wrong = requests.request("PROPFIND", served.book, auth=(served.user, served.password + "x"), headers={"Depth": "0"}, timeout=10)
    assert wrong.status_code == 401

    server_dir = home / "data" / "server"
    htpasswd = (server_dir / "htpasswd").read_text()
    assert served.password not in htpasswd and htpasswd.startswith(f"{served.user}:$2")  # bcrypt
    for secret_file in ("htpasswd", "password"):
        assert stat.S_IMODE((server_dir / secret_file).stat().st_mode) == 0o600
    for plain in (home / "config.toml", server_dir / "radicale.conf", server_dir / "radicale.log"):
        assert served.password not in plain.read_text(), plain
    assert "[targets.phone]" in (home / "config.toml").read_text()

    assert served.stop() == 0
    _eventually(lambda: _gone(served.radicale_pid), "Radicale ending with serve", 10)


def test_serve_sync_phone_edit_reaches_the_database_by_push_alone(serve, run, home):
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--interval", "3600")  # an hour: only the storage hook can explain a pass
    _eventually(lambda: served.names() == EXAMPLE_NAMES, "the example contacts in the address book")
    # The first sync filled the empty book with one PUT (bulk_seed), which keeps the book's name.
    assert "bulk_seed = true" in (home / "config.toml").read_text()
    name = requests.request("PROPFIND", served.book, data=PROPFIND_NAME, auth=served.auth, headers={"Depth": "0"}, timeout=10)
    assert ElementTree.fromstring(name.content).findtext(".//D:displayname", namespaces=NS) == "Business contacts"

    href, (etag, text) = next((h, c) for h, c in served.cards().items() if "Andrea" in c[1])
    card = vobject.readOne(text)
    card.title.value = "Head of purchasing"
    started = time.monotonic()
    put = requests.put(served.book.split("/contacthub/")[0] + href, data=card.serialize().encode(), auth=served.auth, timeout=10,
                       headers={"If-Match": etag, "Content-Type": "text/vcard; charset=utf-8"})  # fmt: skip
    assert put.status_code in (201, 204)

    def title() -> str:
        records = run.json("contact", "list")
        return next(r["contact"]["title"] for r in records if r["contact"]["display_name"] == "Andrea Dunker")

    _eventually(lambda: title() == "Head of purchasing", "the phone's edit in the database", 10)
    latency = time.monotonic() - started
    print(f"phone edit -> database: {latency:.2f} s")
    assert latency < 5
    assert served.stop() == 0


def test_serve_sync_cli_edit_reaches_the_addressbook(serve, run):
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--interval", "1")
    _eventually(lambda: served.names() == EXAMPLE_NAMES, "the example contacts in the address book")
    record = next(r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Jürgen Groß")
    run("contact", "edit", record["id"], "--title", "Sales director")

    def phone_title() -> str | None:
        for _, text in served.cards().values():
            card = vobject.readOne(text)
            if card.fn.value == "Jürgen Groß":
                return card.title.value if hasattr(card, "title") else None
        return None

    _eventually(lambda: phone_title() == "Sales director", "the CLI edit in the address book")
    assert served.stop() == 0


def test_demo_twice_serves_the_samples_without_twins(serve, run):
    first = serve("demo")
    _eventually(lambda: len(first.cards()) == 7, "the seven sample contacts in the address book")
    assert "7 added" in first.output
    assert first.stop() == 0
    second = serve("demo")
    assert "0 added, 7 already there" in second.output
    assert "(the one shown when the server was set up" in second.output  # the password is shown once
    second.password, second.user = first.password, first.user
    time.sleep(1)  # a pass runs at start; it must not add twins
    assert len(second.cards()) == 7
    assert len(run.json("contact", "list")) == 7
    assert second.stop() == 0


def test_demo_refuses_a_database_with_the_users_own_records(run):
    run("contact", "add", "--name", "My Own Customer")
    result = run("demo", "--port", str(_free_port()), ok=False)
    assert "CONTACTHUB_HOME" in result.output


def test_binding_beyond_loopback_without_tls_is_warned_about(run, home, tmp_path):
    exposed = run("serve", "--host", "0.0.0.0", "--dry-run")
    assert "WITHOUT TLS" in exposed.stderr and "--tls-cert" in exposed.stderr
    assert not (home / "data" / "server").exists()  # a dry run writes and starts nothing
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x"), key.write_text("x")
    with_tls = run("serve", "--host", "0.0.0.0", "--tls-cert", str(cert), "--tls-key", str(key), "--dry-run")
    assert "WITHOUT TLS" not in with_tls.stderr and "https://" in with_tls.stdout
    for loopback in ("127.0.0.1", "localhost", "::1"):
        assert "WITHOUT TLS" not in run("serve", "--host", loopback, "--dry-run").stderr


def test_serve_without_the_server_extra_says_how_to_install_it(run, monkeypatch):
    import contacthub.server

    monkeypatch.setattr(contacthub.server, "radicale_missing", lambda: True)
    result = run("serve", ok=False)
    assert result.output.strip() == "install the server extra: pip install 'contacthub[server]'"


def test_u3_a_file_secret_must_be_readable_by_its_owner_only(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("pw-value\n")
    secret.chmod(0o600)
    assert resolve_secret({"file": str(secret)}, "target phone") == "pw-value"
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="only you can read") as refused:
        resolve_secret({"file": str(secret)}, "target phone")
    assert "pw-value" not in str(refused.value)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for localhost / 127.0.0.1."""
    import datetime
    import ipaddress

    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def test_serve_with_tls_syncs_over_https_checking_the_certificate(serve, run, tmp_path):
    cert, key = _self_signed(tmp_path)
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--tls-cert", str(cert), "--tls-key", str(key))
    assert served.book.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(served.book, auth=served.auth, timeout=10)  # the system CAs do not know it
    cards = set()
    for _ in range(int(DEADLINE / 0.2)):
        reply = requests.request("PROPFIND", served.book, auth=served.auth, headers={"Depth": "1"}, timeout=10, verify=str(cert))
        cards = set(re.findall(r"<href>([^<]+\.vcf)</href>", reply.text))
        if len(cards) == 3:
            break
        time.sleep(0.2)
    assert len(cards) == 3  # the hub reached its own server over https, verifying the certificate
    assert served.stop() == 0
