"""What a no-change `contacthub sync run` on a CardDAV target imports (start-up time and memory; no timing).

A pass that finds nothing changed reads no card and migrates nothing, so it needs
neither vobject nor Alembic, and with output piped no rich either. Checked in a
fresh interpreter, through `sys.modules`, against the test Radicale.
"""

from __future__ import annotations

import subprocess
import sys

from carddav_servers import Server

PASSWORD_ENV = "CONTACTHUB_TEST_CARDDAV_PASSWORD"
NOT_NEEDED = (
    "alembic", "vobject", "rich", "phonenumbers", "keyring", "contacthub.cli.contact_cmd",
    # caldav's calendar side (DAVClient and what it loads) and the hub's vCard code: no card is read or written
    "caldav.davclient", "caldav.collection", "icalendar", "lxml", "yaml", "dateutil", "contacthub.vcard",
)  # fmt: skip
# What must not load before the head start's REPORT is sent (issue 15): the database side, which loads while
# the server works on its answer, and the vCard code.
NOT_BEFORE_THE_REPORT = ("sqlalchemy", "contacthub.store", "contacthub.sync.engine", "contacthub.vcard", "caldav.davclient")


def _synced_target(radicale: Server, run, home, monkeypatch) -> None:
    book = radicale.new_addressbook()
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[targets.phone]\nconnector = "carddav"\nlocation = "{book}"\nusername = "{radicale.username}"\n'
        f'password = {{env = "{PASSWORD_ENV}"}}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(PASSWORD_ENV, radicale.password)
    run("contact", "add", "--name", "Ann Import", "--email", "ann@example.com")
    run("sync", "start", "phone")


def test_a_no_change_sync_run_imports_no_card_parser_nor_migrations(radicale: Server, run, home, monkeypatch):
    _synced_target(radicale, run, home, monkeypatch)
    probe = (
        "import sys\nfrom contacthub.cli.main import cli\n"
        "try:\n    cli(['sync', 'run'], prog_name='contacthub')\nexcept SystemExit as exit:\n    assert not exit.code\n"
        f"print(sorted(m for m in {NOT_NEEDED!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Synced with phone: no changes", result.stdout
    assert lines[-1] == "[]", result.stdout


def test_the_head_start_report_goes_out_before_the_database_side_loads(radicale: Server, run, home, monkeypatch):
    """`sync run` sends its sync-collection REPORT first and loads SQLAlchemy and the engine while the
    server works on it (services.sync.run_pass); checked by what is in `sys.modules` at the first request."""
    _synced_target(radicale, run, home, monkeypatch)
    probe = (
        "import sys\nfrom contacthub.connectors.carddav import dav\nseen = []\nsend = dav.Dav._send\n"
        "def first(self, method, *args, **kw):\n"
        f"    seen.append((method, sorted(m for m in {NOT_BEFORE_THE_REPORT!r} if m in sys.modules)))\n"
        "    return send(self, method, *args, **kw)\n"
        "dav.Dav._send = first\n"
        "from contacthub.connectors.carddav import connector\nconnector.SEND_WAIT = 60  # the order, not the clock\n"
        "from contacthub.cli.main import cli\n"
        "try:\n    cli(['sync', 'run'], prog_name='contacthub')\nexcept SystemExit as exit:\n    assert not exit.code\n"
        "print(seen[0])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Synced with phone: no changes", result.stdout
    assert lines[-1] == "('REPORT', [])", result.stdout
