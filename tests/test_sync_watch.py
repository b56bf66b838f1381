"""S8: `sync watch` in a real process: passes at every interval, at once on a folder change, ends cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"
DEADLINE = 30.0  # seconds to wait for something that should take well under one


def _eventually(check, what: str):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {DEADLINE:.0f} s")


@pytest.fixture
def watching(run, tmp_path):
    """Synced example contacts and a function that starts `sync watch` with a given interval."""
    folder = tmp_path / "phone"
    run("import", str(EXAMPLES))
    run("sync", "start", f"vcf:{folder}", "--create")
    processes: list[subprocess.Popen] = []

    def start(interval: int) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "contacthub", "sync", "watch", "--interval", str(interval)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        )  # fmt: skip
        processes.append(process)
        return process

    yield folder, start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _title(run, name: str) -> str:
    return next(r["contact"]["title"] for r in run.json("contact", "list") if r["contact"]["display_name"] == name)


def test_s8_watch_reacts_to_a_changed_file_at_once_and_stops_cleanly_on_sigterm(run, watching):
    folder, start = watching
    before = run.json("sync", "status")["last_pass_at"]
    process = start(interval=3600)  # an hour: only the folder notification can explain a second pass
    _eventually(lambda: run.json("sync", "status")["last_pass_at"] != before, "the first pass of watch")
    file = next(f for f in folder.glob("*.vcf") if "Andrea" in f.read_text(encoding="utf-8"))
    text = file.read_text(encoding="utf-8").replace("TITLE:Purchasing manager", "TITLE:Changed on the phone")
    file.write_text(text, encoding="utf-8", newline="")
    _eventually(lambda: _title(run, "Andrea Dunker") == "Changed on the phone", "the record update")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "1 sync" in out  # one line for the pass that did something


def test_s8_watch_runs_a_pass_every_interval(run, watching):
    folder, start = watching
    record_id = next(r["id"] for r in run.json("contact", "list") if r["contact"]["display_name"] == "Andrea Dunker")
    process = start(interval=1)
    run("contact", "edit", record_id, "--title", "Edited in the office")
    _eventually(
        lambda: any("Edited in the office" in f.read_text(encoding="utf-8") for f in folder.glob("*.vcf")),
        "the copy update",
    )
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0 and "Traceback" not in err


def test_s8_watch_keeps_one_connector_open_for_all_its_passes_and_closes_it_at_the_end():
    """A warm connector (discovery, HTTP session, marker cache) is what keeps a quiet pass cheap."""
    import threading

    from contacthub.sync.watch import watch

    class Connector:
        capabilities = type("Caps", (), {"push": False})()
        closed = 0

        def close(self) -> None:
            self.closed += 1

    opened: list[Connector] = []
    used: list[Connector] = []
    stop = threading.Event()

    class Hub:
        def open_target(self, target):
            opened.append(Connector())
            return opened[-1]

    def run_pass(connector):
        used.append(connector)
        if len(used) == 3:
            stop.set()

    settings = type("Settings", (), {"target": "t"})()
    watcher = threading.Thread(target=watch, args=(Hub(), settings, 0.01, run_pass, stop))
    watcher.start()
    watcher.join(timeout=DEADLINE)
    assert not watcher.is_alive()
    assert len(opened) == 1 and used == opened * 3 and opened[0].closed == 1


def test_s8_reading_the_folder_files_starts_no_pass(run, watching):
    """Only a written, added, renamed or removed card is a change: reading one (a phone app, a backup) is not."""
    folder, start = watching
    before = run.json("sync", "status")["last_pass_at"]
    process = start(interval=3600)
    _eventually(lambda: run.json("sync", "status")["last_pass_at"] != before, "the first pass of watch")
    time.sleep(1)  # the first pass's own file events settle
    first = run.json("sync", "status")["last_pass_at"]
    for _ in range(3):
        for file in folder.glob("*.vcf"):
            file.read_bytes()
        time.sleep(1)
    assert run.json("sync", "status")["last_pass_at"] == first
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=DEADLINE)
