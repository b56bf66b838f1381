"""How the `contacthub` process ends (U4): it skips the interpreter's teardown (issue 15: ~15 ms of a
no-change `sync run`) but still delivers all it wrote, runs the atexit handlers, keeps the exit
code, and waits for a thread that is not a daemon."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing

CONTACTHUB = [sys.executable, "-m", "contacthub"]

# `main()` as the console script calls it, with what a library might leave behind: an atexit
# handler and an object that only the interpreter's teardown would finalize.
WRAPPER = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from pathlib import Path

    marks = Path(sys.argv[1])

    class Teardown:
        def __del__(self):
            with marks.open("a") as out:
                out.write("teardown\\n")

    left_for_teardown = Teardown()  # a module global: finalized by the teardown only
    atexit.register(lambda: marks.open("a").write("atexit\\n"))
    if sys.argv[2] == "worker":
        def work():
            time.sleep(0.3)
            with marks.open("a") as out:
                out.write("worker\\n")
        threading.Thread(target=work).start()  # not a daemon: exit must wait for it
    sys.argv = ["contacthub", *sys.argv[3:]]
    from contacthub.cli.main import main
    main()
    """
)


def _main(tmp_path, thread: str, *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    marks = tmp_path / "marks"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(marks), thread, *args], capture_output=True, text=True, timeout=60
    )
    return done, marks.read_text().split() if marks.exists() else []


def test_u4_a_long_listing_into_a_pipe_arrives_whole(run):
    for i in range(300):
        run("contact", "add", "--name", f"Person {i:03d}", "--email", f"p{i}@example.com")
    listed = subprocess.run([*CONTACTHUB, "contact", "list", "--json"], capture_output=True, timeout=60)
    assert (listed.returncode, listed.stderr) == (0, b"")
    assert sorted(c["contact"]["display_name"] for c in json.loads(listed.stdout)) == [
        f"Person {i:03d}" for i in range(300)
    ]


def test_u4_the_process_ends_without_teardown_but_runs_the_atexit_handlers(run, tmp_path):
    run("contact", "add", "--name", "Ann Lee")
    done, marks = _main(tmp_path, "none", "contact", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert [c["contact"]["display_name"] for c in json.loads(done.stdout)] == ["Ann Lee"]
    assert marks == ["atexit"]  # no "teardown": the interpreter's teardown was skipped


def test_u4_a_failed_command_keeps_its_exit_code_and_its_error_line(tmp_path):
    done, marks = _main(tmp_path, "none", "sync", "run")
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: sync is not started: run `contacthub sync start TARGET` first"
    assert marks == ["atexit"]


def test_u4_a_usage_error_keeps_exit_code_2(tmp_path):
    done, marks = _main(tmp_path, "none", "contact", "list", "--no-such-option")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("Error: No such option")
    assert marks == ["atexit"]


def test_a_thread_left_working_is_waited_for_with_the_ordinary_exit(tmp_path):
    done, marks = _main(tmp_path, "worker", "--version")
    assert done.returncode == 0, done.stderr
    assert "contacthub" in done.stdout
    assert marks[0] == "worker" and "atexit" in marks  # the ordinary exit: the thread ended first


def test_after_a_command_the_sqlite_file_alone_holds_every_commit(home, tmp_path):
    """A copy of the database file is a whole backup while no contacthub runs: no commit waits in SQLite's WAL."""
    for name in ("Ann Lee", "Bo Berg"):
        added = subprocess.run([*CONTACTHUB, "contact", "add", "--name", name], capture_output=True, timeout=60)
        assert added.returncode == 0, added.stderr
    database = home / "data" / "databases" / "default.sqlite"
    assert not database.with_name("default.sqlite-wal").exists()
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(database, copy)
    with closing(sqlite3.connect(copy)) as db:
        assert db.execute("SELECT count(*) FROM records").fetchone() == (2,)
