"""T3 (issue 14): a [sync] filter no business contact has is named, wherever a pass may run with it.

`sync start --filter` already warned; a filter edited into the config by hand, or taken
along by `sync change`, synced nothing without a word. `sync run` and `sync change` now
say it; `sync watch` and `serve --sync` say it once, not at every pass.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"
WARNING = "filter 'Custmers' matches no business contact"


def _set_filter(home: Path, *filters: str) -> None:
    """Edit [sync] filter in the config file by hand, as a person would."""
    config = home / "config.toml"
    text = re.sub(r"(?m)^filter = .*\n", "", config.read_text())
    wanted = ", ".join(f'"{f}"' for f in filters)
    config.write_text(text.replace("[sync]\n", f"[sync]\nfilter = [{wanted}]\n"))


@pytest.fixture
def synced(run, home, tmp_path):
    run("import", str(EXAMPLES))
    (tmp_path / "Phone").mkdir()
    run("sync", "start", f"vcf:{tmp_path / 'Phone'}")
    return tmp_path / "Phone"


def test_t3_sync_run_names_a_filter_edited_into_the_config_that_matches_nothing(run, home, synced):
    _set_filter(home, "Custmers")
    result = run("sync", "run", ok=False)  # the typo would take every copy off the phone: safety stop
    assert result.exit_code == 4
    [warning] = [line for line in result.stderr.splitlines() if "matches no" in line]
    assert WARNING in warning and "did you mean Customers?" in warning
    assert "matches no" in run("sync", "run", "--dry-run", ok=False).stderr


def test_t3_sync_run_is_quiet_when_the_filter_matches(run, home, synced):
    _set_filter(home, "customers")  # case-insensitive, as the filter itself
    assert "matches no" not in run("sync", "run", "--force").stderr  # --force: the filter leaves out 2 of 3


def test_t3_sync_change_names_the_filter_it_takes_along(run, home, synced, tmp_path):
    _set_filter(home, "Custmers")
    (tmp_path / "Other").mkdir()
    result = run("sync", "change", f"vcf:{tmp_path / 'Other'}")
    assert WARNING in result.stderr


def test_t3_a_watch_loop_says_it_once_while_it_stays_unmatched_and_again_after_a_relapse(run, home, synced, capsys):
    from contacthub.cli.context import Hub
    from contacthub.cli.sync_cmd import FilterWarnings
    from contacthub.sync.target import sync_settings

    _set_filter(home, "Suppliers")
    hub = Hub()
    settings = sync_settings(hub.config)
    passes: list[int] = []
    one_pass = FilterWarnings().passes(hub, settings, lambda **kw: passes.append(1))

    def warnings() -> int:
        return capsys.readouterr().err.count("filter 'Suppliers' matches no business contact")

    one_pass(), one_pass(), one_pass()
    assert (len(passes), warnings()) == (3, 1)
    added = run("contact", "add", "--name", "Sam Supply", "--category", "Suppliers").stdout.split()[2].rstrip(":")
    capsys.readouterr()
    one_pass()
    assert warnings() == 0
    run("contact", "delete", added)
    capsys.readouterr()
    one_pass(), one_pass()
    assert warnings() == 1


def test_t3_sync_watch_says_it_once_over_several_passes(run, tmp_path):
    run("import", str(EXAMPLES))
    (tmp_path / "Phone").mkdir()
    assert WARNING in run("sync", "start", f"vcf:{tmp_path / 'Phone'}", "--filter", "Custmers").stderr
    before = run.json("sync", "status")["last_pass_at"]
    process = subprocess.Popen(
        [sys.executable, "-m", "contacthub", "sync", "watch", "--interval", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip
    try:
        seen = {before}
        end = time.monotonic() + 30
        while len(seen) < 4 and time.monotonic() < end:  # three passes after the one of `sync start`
            seen.add(run.json("sync", "status")["last_pass_at"])
            time.sleep(0.1)
        assert len(seen) >= 4, "sync watch ran fewer than three passes"
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert err.count(WARNING) == 1, err


def test_t3_serve_sync_says_it_once_over_several_passes(run, home):
    """`serve --sync` runs the same loop as `sync watch`, through its own wiring (serve_cmd.py)."""
    pytest.importorskip("radicale")
    from served import Served, eventually

    run("import", str(EXAMPLES))
    first = Served("serve", "--sync", "--interval", "3600")  # starts sync with the served address book
    assert first.stop() == 0
    _set_filter(home, "Custmers")  # each pass now stops at the safety check: it would remove every copy
    before = run.json("sync", "status")["last_pass_at"]
    served = Served("serve", "--sync", "--interval", "0.2", port=first.port)
    try:
        seen = {before}
        eventually(lambda: seen.add(run.json("sync", "status")["last_pass_at"]) or len(seen) >= 4, "three passes of serve --sync")
    finally:
        assert served.stop() == 0
    assert served.output.count(WARNING) == 1, served.output
