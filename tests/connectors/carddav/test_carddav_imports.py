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
NOT_NEEDED = ("alembic", "vobject", "rich", "phonenumbers", "keyring", "contacthub.cli.contact_cmd")


def test_a_no_change_sync_run_imports_no_card_parser_nor_migrations(radicale: Server, run, home, monkeypatch):
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
    probe = (
        "import sys\nfrom contacthub.cli.main import cli\n"
        "try:\n    cli(['sync', 'run'], prog_name='contacthub')\nexcept SystemExit as exit:\n    assert not exit.code\n"
        f"print(sorted(m for m in {NOT_NEEDED!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Synced with phone: no changes", result.stdout
    assert lines[-1] == "[]", result.stdout
