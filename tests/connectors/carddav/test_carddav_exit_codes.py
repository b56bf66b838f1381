"""U4 through the CLI against a real Radicale: a pass whose PUTs all fail exits 3 with one summary
line and the next pass finishes; a wrong password exits 1 and `sync status` says "error"."""

from __future__ import annotations

import pytest
from carddav_phone import Phone, marker_of
from fault_proxy import FaultProxy

PEOPLE = 6
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u4-carddav-{i}\r\nFN:Person {i}\r\nN:{i};Person;;;\r\nEND:VCARD\r\n"


class FailingPuts(FaultProxy):
    """The fault proxy, answering every PUT with 500 while `failing` is set: a server whose storage broke.

    RFC 9110 §15.6.1 (500 Internal Server Error); Radicale answers an error in its
    storage this way, with a short plain-text body.
    """

    failing = True

    def handle(self, handler) -> None:
        if not (self.failing and handler.command == "PUT"):
            return super().handle(handler)
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        body = b"Internal Server Error"
        handler.send_response(500)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        self.seen.append(("PUT", handler.path, 500))
        return None


@pytest.fixture
def proxy(radicale):
    proxy = FailingPuts(radicale.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def phone_target(run, home, radicale, proxy, tmp_path, monkeypatch):
    """The config names a Radicale address book reached through the proxy; PEOPLE contacts are in the database."""
    book = radicale.new_addressbook()
    monkeypatch.setenv("U4_CARDDAV_PASSWORD", radicale.password)
    run("init")
    location = proxy.url + book[len(radicale.url.rstrip("/")):]
    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[targets.phone]\nconnector = "carddav"\nlocation = "{location}"\nusername = "{radicale.username}"\n'
            'password = { env = "U4_CARDDAV_PASSWORD" }\ntimeout = 30\n'
        )
    source = tmp_path / "people.vcf"
    source.write_text("".join(CARD.format(i=i) for i in range(PEOPLE)), newline="")
    run("import", str(source))
    return Phone(book, radicale.auth)


def test_u4_a_500_on_every_put_exits_3_with_one_summary_line_and_the_next_pass_finishes(run, phone_target, proxy):
    first = run("sync", "start", "phone", ok=False)
    assert first.exit_code == 3, first.output
    assert "Traceback" not in first.output
    failing = [line for line in first.output.splitlines() if "HTTP 500" in line]
    assert len(failing) == 1 and failing[0].startswith(f"sync: {PEOPLE} of {PEOPLE} writes to phone failed (first: the copy of 'Person ")
    assert failing[0].endswith("; …); the next pass retries. Details: contacthub sync status")
    assert [s for s in proxy.seen if s[0] == "PUT"] and all(s[2] == 500 for s in proxy.seen if s[0] == "PUT")
    status = run.json("sync", "status")
    assert status["last_pass"]["outcome"] == "partly-done" and status["last_pass"]["failed"] == PEOPLE

    proxy.failing = False
    run("sync", "run")
    records = {r["id"] for r in run.json("contact", "list")}
    marked = [marker_of(card) for card in phone_target.parsed().values()]
    assert sorted(m[1] for m in marked) == sorted(records)  # one copy each: nothing lost, no twin
    assert run.json("sync", "status")["last_pass"]["outcome"] == "done"


def test_u2_u4_a_wrong_password_exits_1_in_one_line_and_status_says_error(run, phone_target, proxy, monkeypatch):
    proxy.failing = False
    run("sync", "start", "phone")
    monkeypatch.setenv("U4_CARDDAV_PASSWORD", "not-the-password")
    result = run("sync", "run", ok=False)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "refused the credentials" in result.output
    assert "not-the-password" not in result.output
    last = run.json("sync", "status")["last_pass"]
    assert last["outcome"] == "error" and "refused the credentials" in last["message"]
    assert "not-the-password" not in str(last)
