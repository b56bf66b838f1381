"""A big import goes a chunk at a time: each chunk committed whole, a killed import resumes (I1, I2, D4, issue 15)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contacthub import importing
from contacthub.store import open_database
from contacthub.transfer import import_path

POLL_TIMEOUT = 300.0  # seconds the import may take to commit its first chunk on a slow, shared machine


def _cards(n: int, bad_at: int | None = None) -> str:
    """N cards without UID (matched by content, the hard case for I1); one unreadable at `bad_at`."""
    out = []
    for i in range(n):
        version = "9.9" if i == bad_at else "3.0"
        out.append(
            f"BEGIN:VCARD\r\nVERSION:{version}\r\nFN:Given{i} Family{i}\r\nN:Family{i};Given{i};;;\r\n"
            f"EMAIL:person{i}@example.com\r\nTEL:+47 9{i:07d}\r\nCATEGORIES:Chunk{i % 3}\r\nEND:VCARD\r\n"
        )
    return "".join(out)


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    yield database
    database.dispose()


def test_i1_i2_a_chunked_import_writes_history_search_and_categories_for_every_card(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 4)  # 10 cards: three chunks, the bad card in the second
    path = tmp_path / "export.vcf"
    path.write_text(_cards(10, bad_at=5), encoding="utf-8")
    with db.transaction(steps=True) as tx:
        report = import_path(tx, path, "business-contact", commit_chunks=True)
    assert (report.added, report.unreadable, len(report.problems)) == (9, 1, 1)
    assert "card at line 41" in report.problems[0]  # I2: the bad card named by its BEGIN line, the rest imported
    with db.transaction(readonly=True) as tx:
        records = tx.records.list()
        assert sorted(r.contact.best_name() for r in records) == sorted(f"Given{i} Family{i}" for i in range(10) if i != 5)
        for record in records:  # D4 and U1 hold for each record the bulk path wrote
            (entry,) = tx.records.history(record.id)
            assert (entry.action, entry.version, entry.source) == ("create", 1, "import:export.vcf")
            i = record.contact.best_name().split()[0][5:]
            assert [r.id for r in tx.records.list(text=f"person{i}@example.com")] == [record.id]
            assert [r.id for r in tx.records.list(category=f"chunk{int(i) % 3}", text=f"Given{i} ")] == [record.id]
        assert tx.records.max_seq() == 9
        assert len({r.id for r in tx.records.changed_since(0)}) == 9  # one seq each: the change feed sees them all
    with db.transaction(steps=True) as tx:
        again = import_path(tx, path, "business-contact", commit_chunks=True)
    assert (again.added, again.unchanged) == (0, 9)


def test_i1_a_chunk_that_fails_leaves_the_chunks_before_it_and_the_retry_adds_only_the_rest(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK", 3)
    path = tmp_path / "export.vcf"
    path.write_text(_cards(8), encoding="utf-8")
    real, taken = importing.Importer.take, []

    def dying(self, *args, **kwargs):
        if len(taken) == 7:
            raise KeyboardInterrupt  # Ctrl-C in the third chunk
        taken.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(importing.Importer, "take", dying)
    with pytest.raises(KeyboardInterrupt), db.transaction(steps=True) as tx:
        import_path(tx, path, "business-contact", commit_chunks=True)
    monkeypatch.setattr(importing.Importer, "take", real)
    with db.transaction(readonly=True) as tx:
        assert len(tx.records.list()) == 6  # two whole chunks, nothing of the third
    with db.transaction(steps=True) as tx:
        retried = import_path(tx, path, "business-contact", commit_chunks=True)
    assert (retried.added, retried.unchanged) == (2, 6)


def _count(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.1) as conn:
            return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet, or busy
        return 0


def test_i1_an_import_killed_with_sigkill_mid_file_resumes_with_no_twin_and_nothing_lost(tmp_path):
    n = 3 * importing.CHUNK + 500
    path = tmp_path / "export.vcf"
    path.write_text(_cards(n), encoding="utf-8")
    home = tmp_path / "kill-home"
    env = dict(os.environ, CONTACTHUB_HOME=str(home))
    env.pop("CONTACTHUB_CONFIG", None)
    database = home / "data" / "databases" / "default.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "contacthub", "import", str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + POLL_TIMEOUT
    try:
        while _count(database) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill() if proc.poll() is None else None
        proc.communicate(timeout=60)
    committed = _count(database)
    assert proc.returncode == -signal.SIGKILL and 0 < committed < n, (proc.returncode, committed)
    assert committed % importing.CHUNK == 0  # whole chunks only
    done = subprocess.run([sys.executable, "-m", "contacthub", "import", str(path)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{n - committed} added, 0 updated, {committed} unchanged" in done.stdout
    with sqlite3.connect(database) as conn:
        names = [r[0] for r in conn.execute("SELECT display_name FROM records")]
        history = conn.execute("SELECT count(*) FROM history WHERE action = 'create'").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM record_search").fetchone()[0]
    assert sorted(names) == sorted(f"Given{i} Family{i}" for i in range(n))  # each card once: no twin, none lost
    assert history == indexed == n


def test_i1_a_big_csv_is_read_row_by_row_in_chunks_and_its_encoding_judged_on_the_whole_file(db, tmp_path, monkeypatch):
    """Windows-1252 bytes only past the first MiB: the streamed reader still picks Windows-1252, as reading it whole did."""
    monkeypatch.setattr(importing, "CHUNK", 500)
    rows = [f"Given{i},Family{i},person{i}@example.com,{'n' * 500}" for i in range(2_400)]
    rows[-1] = "Bj\xf6rn,\xc5str\xf6m,bjorn@example.com,"
    data = ("First Name,Last Name,E-mail Address,Notes\r\n" + "\r\n".join(rows) + "\r\n").encode("windows-1252")
    assert data.index(b"\xf6") > 1 << 20
    path = tmp_path / "outlook.csv"
    path.write_bytes(data)
    with db.transaction(steps=True) as tx:
        first = import_path(tx, path, "business-contact", commit_chunks=True)
    with db.transaction(steps=True) as tx:
        again = import_path(tx, path, "business-contact", commit_chunks=True)
    assert (first.added, first.problems, again.added, again.unchanged) == (2_400, [], 0, 2_400)
    with db.transaction(readonly=True) as tx:
        assert [r.contact.best_name() for r in tx.records.list(text="bjorn@example.com")] == ["Björn Åström"]
