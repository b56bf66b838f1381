"""`contacthub serve` / `demo`: the embedded Radicale, checked from outside with plain HTTP (requests + vobject).

Servers bind 127.0.0.1; the non-loopback warning is checked on the --dry-run
path. TLS is tests/test_serve_tls.py, adopting phone contacts tests/test_serve_adopt.py.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from xml.etree import ElementTree

import pytest
import requests
import vobject

pytest.importorskip("radicale")

from served import (  # noqa: E402
    EXAMPLE_NAMES,
    EXAMPLES,
    NS,
    PROPFIND_TYPE,
    eventually,
    free_port,
    gone,
    self_signed,
    serve,  # noqa: E402,F401 (a fixture)
)

from contacthub.config import resolve_secret  # noqa: E402
from contacthub.errors import ConfigError  # noqa: E402

PROPFIND_NAME = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"""


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
    eventually(lambda: gone(served.radicale_pid), "Radicale ending with serve", 10)


def test_serve_sync_phone_edit_reaches_the_database_by_push_alone(serve, run, home):
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--interval", "3600")  # an hour: only the storage hook can explain a pass
    eventually(lambda: served.names() == EXAMPLE_NAMES, "the example contacts in the address book")
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

    eventually(lambda: title() == "Head of purchasing", "the phone's edit in the database", 10)
    latency = time.monotonic() - started
    print(f"phone edit -> database: {latency:.2f} s")
    assert latency < 5
    assert served.stop() == 0


def test_serve_sync_cli_edit_reaches_the_addressbook(serve, run):
    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--interval", "1")
    eventually(lambda: served.names() == EXAMPLE_NAMES, "the example contacts in the address book")
    record = next(r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Jürgen Groß")
    run("contact", "edit", record["id"], "--title", "Sales director")

    def phone_title() -> str | None:
        for _, text in served.cards().values():
            card = vobject.readOne(text)
            if card.fn.value == "Jürgen Groß":
                return card.title.value if hasattr(card, "title") else None
        return None

    eventually(lambda: phone_title() == "Sales director", "the CLI edit in the address book")
    assert served.stop() == 0


def test_demo_twice_serves_the_samples_without_twins(serve, run):
    first = serve("demo")
    eventually(lambda: len(first.cards()) == 7, "the seven sample contacts in the address book")
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
    result = run("demo", "--port", str(free_port()), ok=False)
    assert "CONTACTHUB_HOME" in result.output


def test_binding_beyond_loopback_without_tls_is_warned_about(run, home, tmp_path):
    exposed = run("serve", "--host", "0.0.0.0", "--dry-run")
    assert "WITHOUT TLS" in exposed.stderr and "--tls-cert" in exposed.stderr
    assert not (home / "data" / "server").exists()  # a dry run writes and starts nothing
    cert, key = self_signed(tmp_path)
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


def _serve_once(port: int) -> subprocess.CompletedProcess:
    """`contacthub serve` that is expected to fail at start (so it ends by itself)."""
    return subprocess.run([sys.executable, "-m", "contacthub", "serve", "--port", str(port)],
                          capture_output=True, text=True, timeout=60, env=os.environ.copy())  # fmt: skip


def test_u2_u3_the_password_made_by_a_failed_first_start_is_shown_by_the_first_that_works(serve, home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        failed = _serve_once(taken.getsockname()[1])
    assert failed.returncode != 0 and "cannot listen" in failed.stderr
    assert (home / "data" / "server" / "password").is_file()  # made before the start failed
    first = serve("serve")
    assert "the one shown when the server was set up" not in first.output
    reply = requests.request("PROPFIND", first.book, auth=first.auth, headers={"Depth": "0"}, timeout=10)
    assert reply.status_code == 207  # the password shown is the one that works
    assert first.password not in failed.stdout + failed.stderr  # U3: not in the failed start's error
    assert first.stop() == 0
    second = serve("serve")
    assert "the one shown when the server was set up" in second.output and first.password not in second.output
    assert second.stop() == 0


def test_s8_a_sigkilled_hub_takes_radicale_with_it_and_a_restart_listens_at_once(serve, run):
    run("import", str(EXAMPLES))
    first = serve("serve", "--sync")
    eventually(lambda: first.names() == EXAMPLE_NAMES, "the example contacts in the address book")
    # A phone on a slow network, half-way through sending a request: Radicale would finish it first.
    phone = socket.create_connection(("127.0.0.1", first.port))
    phone.sendall(b"PROPFIND /contacthub/business/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    first.process.kill()  # SIGKILL: no chance to stop Radicale
    first.process.wait()
    second = serve("serve", "--sync", port=first.port)  # at once, on the same port
    assert "Radicale is running" in second.output
    assert gone(first.radicale_pid)
    second.password, second.user = first.password, first.user
    assert second.names() == EXAMPLE_NAMES
    assert second.stop() == 0
    phone.close()


def _stale_radicale(home) -> subprocess.Popen:
    """A Radicale with serve's own config, as a hub that died without stopping it would leave."""
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(home / "data" / "server" / "radicale.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    (home / "data" / "server" / "radicale.pid").write_text(f"{process.pid}\n")
    return process


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 401
    except requests.ConnectionError:
        return False


def test_s8_a_restart_clears_a_stale_radicale_of_its_own_but_no_other_process(serve, home):
    first = serve("serve")
    assert first.stop() == 0
    stale = _stale_radicale(home)
    eventually(lambda: _answers(first.book), "the stale Radicale listening")
    second = serve("serve", port=first.port)
    assert stale.wait(timeout=10) == -signal.SIGKILL
    assert "Radicale is running" in second.output
    assert second.stop() == 0
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        (home / "data" / "server" / "radicale.pid").write_text(f"{stranger.pid}\n")
        third = serve("serve", port=first.port)
        assert stranger.poll() is None  # not ours: left alone
        assert third.stop() == 0
    finally:
        stranger.kill()
        stranger.wait()
