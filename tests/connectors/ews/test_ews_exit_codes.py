"""U4 through the CLI against the recorded-EWS fake mailbox: a pass whose item writes Exchange throttles
or refuses exits 3 with one summary line and the next pass finishes; a wrong password exits 1 in one line.

The target is configured as a user would ([targets.exchange], server given, basic auth, the
password from the environment); exchangelib talks to the fake's `responses` mock only.
"""

from __future__ import annotations

import pytest
from ews_helpers import FOLDER
from exit_checks import one_error_line, one_summary_line, status_says_partly_done
from fake_ews import MAILBOX, URL

PEOPLE = 5
PASSWORD = "s3cret"  # what FakeMailbox accepts
QUOTA = "The mailbox that was requested has exceeded its quota."  # the text of test_ews_failed_writes
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u4-ews-{i}\r\nFN:Person {i}\r\nN:{i};Person;;;\r\nEND:VCARD\r\n"


@pytest.fixture
def exchange(run, home, fake, tmp_path, monkeypatch):
    """An ews target in the config (max_wait = 0: a busy server is not waited for); PEOPLE contacts in the database."""
    monkeypatch.setenv("U4_EWS_PASSWORD", PASSWORD)
    run("init")
    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[targets.exchange]\nconnector = "ews"\nlocation = "{MAILBOX}/{FOLDER}"\nserver = "{URL}"\n'
            'auth = "basic"\npassword = { env = "U4_EWS_PASSWORD" }\nmax_wait = 0\n'
        )
    source = tmp_path / "people.vcf"
    source.write_text("".join(CARD.format(i=i) for i in range(PEOPLE)), newline="")
    run("import", str(source))
    return fake


def copies(fake) -> list[str]:
    """The record ids the folder's marked copies stand for, one entry per copy (a twin shows twice)."""
    return sorted((fake.marker(item) or "::").partition(":")[2] for item in fake.folder(FOLDER).items)


def records(run) -> list[str]:
    return sorted(r["id"] for r in run.json("contact", "list"))


def test_u4_a_busy_exchange_makes_sync_start_exit_3_with_one_summary_line_and_the_next_pass_finishes(run, exchange):
    # The CreateItem request answers the recorded ErrorServerBusy fault (BackOffMilliseconds 1500, more
    # than max_wait): every item of it is a failed, throttled write; the pass goes on and ends partly done.
    exchange.replay("CreateItem", "server_busy.xml", status=500)
    first = run("sync", "start", "exchange", ok=False)
    one_summary_line(first, PEOPLE, PEOPLE, "exchange", "the server is still busy")
    assert exchange.folder(FOLDER).items == {}
    status_says_partly_done(run, PEOPLE, PEOPLE)

    assert run("sync", "run").exit_code == 0  # the recorded fault was answered once: Exchange is back
    assert copies(exchange) == records(run) and len(records(run)) == PEOPLE  # nothing lost, no twin
    assert run.json("sync", "status")["last_pass"]["outcome"] == "done"


def test_u4_items_exchange_refuses_make_sync_run_exit_3_and_the_next_pass_writes_them(run, exchange):
    run("sync", "start", "exchange")
    for i in range(PEOPLE, PEOPLE + 3):
        run("contact", "add", "--name", f"Person {i}")
    # Each item of the CreateItem request gets its own ErrorQuotaExceeded response message
    # (messages.xsd ResponseMessageType, ResponseClass="Error"); the fake writes none of them.
    exchange.refuse_items("CreateItem", "ErrorQuotaExceeded", QUOTA, count=3)
    result = run("sync", "run", ok=False)
    one_summary_line(result, 3, 3, "exchange", "ErrorQuotaExceeded")
    status_says_partly_done(run, 3, 3)
    assert len(copies(exchange)) == PEOPLE

    assert run("sync", "run").exit_code == 0
    assert copies(exchange) == records(run) and len(records(run)) == PEOPLE + 3


def test_u2_u4_a_wrong_ews_password_exits_1_in_one_line_and_status_says_error(run, exchange, monkeypatch):
    run("sync", "start", "exchange")
    monkeypatch.setenv("U4_EWS_PASSWORD", "not-the-password")
    result = run("sync", "run", ok=False)
    one_error_line(result, "the server refused the credentials of ann@example.com", secret="not-the-password")
    last = run.json("sync", "status")["last_pass"]
    assert last["outcome"] == "error" and "refused the credentials" in last["message"]
    assert "not-the-password" not in str(last)
    assert copies(exchange) == records(run)  # nothing changed
