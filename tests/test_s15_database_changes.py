"""S15: an edit in the database reaches the target within seconds under `sync watch`, without waiting
for the interval, on SQLite and PostgreSQL; an idle watcher runs no passes; the signal itself
(core/store/change_signal.py) fires on record changes from another connection and on nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from served import serve  # noqa: F401 (a fixture: `contacthub serve` in a process of its own)

from contacthub.model import Contact
from contacthub.store import open_database
from contacthub.store.change_signal import CHANNEL, ChangeSignal

EXAMPLES = Path(__file__).parent.parent / "examples" / "contacts.vcf"
DEADLINE = 20.0  # seconds: far below the 60 s interval, so only the database signal can explain a pass
INTERVAL = 60  # the default interval


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'business.sqlite'}"
    return request.getfixturevalue("pg_server").schema_url()


def _eventually(check, what: str, deadline: float = DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {deadline:.0f} s")


# -- the signal ---------------------------------------------------------------------------


def test_s15_the_signal_fires_when_another_connection_changes_a_record_and_not_otherwise(db_url):
    mine, other = open_database(db_url), open_database(db_url)  # two engines: two processes' worth
    try:
        with other.transaction() as tx:
            record_id = tx.records.add(Contact(display_name="Ada Example")).id
        changes = ChangeSignal(mine)
        try:
            changes.mark()
            assert changes.wait(0.6) is False  # nothing happened
            with other.transaction(readonly=True) as tx:
                tx.records.get(record_id)
            assert changes.wait(0.6) is False  # a read is no change

            def edit() -> None:
                time.sleep(0.3)  # while wait() below is blocked
                with other.transaction() as tx:
                    record = tx.records.get(record_id)
                    tx.records.update(record_id, record.contact.copy(title="Edited elsewhere"))

            editor = threading.Thread(target=edit)
            editor.start()
            assert changes.wait(DEADLINE) is True
            editor.join()
            assert changes.wait(0.1) is True  # stays True until the next mark()
            changes.mark()
            assert changes.wait(0.6) is False
        finally:
            changes.close()
    finally:
        mine.dispose()
        other.dispose()


@pytest.mark.postgres
def test_s15_postgresql_a_rolled_back_change_sends_nothing_and_a_committed_one_notifies_its_schema(pg_server):
    import psycopg

    url = pg_server.schema_url()
    database = open_database(url)
    schema = url.rpartition("%3D")[2]
    listener = psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={pg_server.shared}", autocommit=True)
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        with pytest.raises(RuntimeError):
            with database.transaction() as tx:
                tx.records.add(Contact(display_name="Never committed"))
                raise RuntimeError("roll back")
        assert [n.payload for n in listener.notifies(timeout=1.0)] == []
        with database.transaction() as tx:
            tx.records.add(Contact(display_name="One"))
            tx.records.add(Contact(display_name="Two"))  # one transaction: one notification
        assert [n.payload for n in listener.notifies(timeout=1.0)] == [schema]
    finally:
        listener.close()
        database.dispose()


# -- `sync watch` in real processes -------------------------------------------------------------


@pytest.fixture
def watched(run, tmp_path, db_url):
    """Synced example contacts in a database at db_url, and `sync watch --interval 60` in a process of its own."""
    run("db", "create", "team", "--url", db_url, "--use")
    folder = tmp_path / "phone"
    run("import", str(EXAMPLES))
    run("sync", "start", f"vcf:{folder}", "--create")
    first = run.json("sync", "status")["last_pass_at"]
    process = subprocess.Popen(
        [sys.executable, "-m", "contacthub", "sync", "watch", "--interval", str(INTERVAL)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip
    try:
        _eventually(lambda: run.json("sync", "status")["last_pass_at"] != first, "the first pass of watch")
        yield folder, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _record_id(run, name: str) -> str:
    return next(r["id"] for r in run.json("contact", "list") if r["contact"]["display_name"] == name)


def _contacthub(*args: str) -> None:
    """contacthub in another process, as a second terminal (or another machine) would run it."""
    done = subprocess.run([sys.executable, "-m", "contacthub", *args], capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr


def _stop(process) -> str:
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0 and "Traceback" not in err, err
    return err


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each card file's (mtime, size), by stat only: opening a file is an event the folder's watcher
    reacts to (a pass), and the test must not start the pass it waits for."""
    return {f.name: (f.stat().st_mtime_ns, f.stat().st_size) for f in folder.glob("*.vcf")}


def test_s15_an_edit_from_another_process_reaches_the_vcf_target_long_before_the_interval(run, watched):
    folder, process = watched
    before = _files(folder)
    _contacthub("contact", "edit", _record_id(run, "Andrea Dunker"), "--title", "Edited in the office")
    _eventually(lambda: _files(folder) != before, f"the copy update (interval {INTERVAL} s)")
    assert any("Edited in the office" in f.read_text(encoding="utf-8") for f in folder.glob("*.vcf"))
    _stop(process)


def test_s15_an_idle_watcher_runs_no_passes_also_after_a_pass_that_changed_records(run, watched):
    """A pass that brings a phone's edit in commits record changes itself: that may start one more
    pass (which finds nothing), never a loop of them."""
    folder, process = watched
    file = next(f for f in folder.glob("*.vcf") if "Andrea" in f.read_text(encoding="utf-8"))
    text = file.read_text(encoding="utf-8").replace("TITLE:Purchasing manager", "TITLE:Changed on the phone")
    file.write_text(text, encoding="utf-8", newline="")
    _eventually(
        lambda: next(r for r in run.json("contact", "list") if r["contact"]["display_name"] == "Andrea Dunker")[
            "contact"
        ]["title"] == "Changed on the phone",
        "the record update",
    )  # fmt: skip
    time.sleep(3)  # room for the one follow-up pass
    passes = [run.json("sync", "status")["last_pass_at"]]
    for _ in range(4):  # four seconds of quiet: a looping watcher passes every ~0.5 s
        time.sleep(1)
        passes.append(run.json("sync", "status")["last_pass_at"])
    assert len(set(passes)) == 1, passes
    _stop(process)


def test_s15_serve_sync_an_edit_from_another_process_reaches_the_addressbook_long_before_the_interval(run, serve):
    """`serve --sync` runs the same watch loop: the database signal wakes it, not the hour-long interval."""
    pytest.importorskip("radicale")
    import vobject
    from served import EXAMPLE_NAMES

    run("import", str(EXAMPLES))
    served = serve("serve", "--sync", "--interval", "3600")
    _eventually(lambda: served.names() == EXAMPLE_NAMES, "the example contacts in the address book")
    _contacthub("contact", "edit", _record_id(run, "Jürgen Groß"), "--title", "Sales director")

    def phone_title() -> str | None:
        for _, text in served.cards().values():
            card = vobject.readOne(text)
            if card.fn.value == "Jürgen Groß":
                return card.title.value if hasattr(card, "title") else None
        return None

    _eventually(lambda: phone_title() == "Sales director", "the CLI edit in the address book (interval 3600 s)")
    assert served.stop() == 0
