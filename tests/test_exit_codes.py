"""U4: exit codes and one summary line per pass, through the CLI; S8: `sync watch` refuses a bad interval.

0 done; 1 error, nothing changed; 2 usage; 3 partly done (some writes failed, the
next pass resumes); 4 stopped by a safety check. The CardDAV (500 on every PUT)
and Graph (throttled) cases are in their connectors' test folders.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import test_cli_sync
from test_cli_sync import EXAMPLES, copies, records

from contacthub.connector import Throttled
from contacthub.testing import MemoryConnector

phone = test_cli_sync.phone  # the fixture: example contacts synced to a .vcf folder with one plain contact


def cards(count: int) -> str:
    return "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u4-{i}\r\nFN:Person {i:03d}\r\nN:{i:03d};Person;;;\r\n"
        f"EMAIL:person{i}@example.com\r\nEND:VCARD\r\n"
        for i in range(count)
    )


@pytest.fixture
def tiny_disk(tmp_path):
    """A real file system that fills up: a tmpfs of a few pages, mounted for the test (needs root)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount command: a tiny tmpfs cannot be made")
    made = subprocess.run([mount, "-t", "tmpfs", "-o", "size=32k,mode=0700", "tmpfs", str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_u4_a_full_disk_pass_exits_3_with_one_summary_line_and_the_next_pass_finishes(run, tmp_path, tiny_disk):
    """A real ENOSPC: the vcf target is a 32 KiB tmpfs (8 pages, one per copy), 20 copies to write.

    The pass writes what fits, exits 3 with one summary line (not one warning per copy),
    keeps the failures for `sync status`; once there is room the next pass writes the rest.
    """
    source = tmp_path / "many.vcf"
    source.write_text(cards(20), newline="")
    run("import", str(source))

    first = run("sync", "start", f"vcf:{tiny_disk}", ok=False)
    assert first.exit_code == 3, first.output
    assert first.output.count("No space left on device") == 1, first.output  # the summary line only
    summary = [line for line in first.stderr.splitlines() if line.startswith("sync: ")]
    assert len(summary) == 1, first.stderr
    written = len(copies(tiny_disk))
    assert 0 < written < 20
    assert f"{20 - written} of 20 writes to vcf:{tiny_disk} failed (first: the copy of 'Person" in summary[0]
    assert "the next pass retries. Details: contacthub sync status" in summary[0]

    status = run.json("sync", "status")
    assert status["last_pass"]["outcome"] == "partly-done"
    assert status["last_pass"]["failed"] == 20 - written and status["last_pass"]["writes"] == 20
    assert all("No space left on device" in why for _what, why in status["last_pass"]["failures"])
    text = run("sync", "status").stdout
    assert f"partly done ({20 - written} of 20 writes failed)" in text and "failed: the copy of 'Person" in text

    verbose = run("sync", "run", "--verbose", ok=False)  # still full: every failure on its own line
    assert verbose.exit_code == 3
    assert verbose.output.count("No space left on device") == 20 - written + 1

    subprocess.run(["mount", "-o", "remount,size=1m", "tmpfs", str(tiny_disk)], check=True)
    done = run("sync", "run")
    assert "sync: " not in done.output
    synced = copies(tiny_disk)
    wanted = records(run)
    assert synced.keys() == wanted.keys()  # nothing lost, no twin (copies() fails on a twin)
    for record_id, (_file, contact) in synced.items():
        assert contact.to_dict() == wanted[record_id]["contact"]
    assert run.json("sync", "status")["last_pass"]["outcome"] == "done"


@pytest.fixture
def memory(run):
    """The in-memory target registered as the `memory` connector, synced with the example contacts."""
    from contacthub.plugins import load_plugins

    target = MemoryConnector()
    load_plugins().connectors["memory"] = target.info()  # the cache is cleared after each test
    run("import", str(EXAMPLES))
    run("sync", "start", "memory:folder")
    return target


def test_u4_throttling_that_ends_a_pass_early_is_partly_done_and_the_next_pass_goes_on(run, memory):
    for record_id in records(run):
        run("contact", "edit", record_id, "--title", "Head of purchasing")
    # Retry-After beyond what a pass waits: the pass ends there (apply.MAX_THROTTLE_WAIT).
    memory.crash_after("update", 0, Throttled("memory: slow down", retry_after=3600))
    result = run("sync", "run", ok=False)
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "Error:" not in result.output
    [summary] = [line for line in result.stderr.splitlines() if line.startswith("sync: ")]
    assert "the pass ended early: target: updating copies: the target keeps asking to slow down" in summary
    assert "what was done is kept, the next pass goes on" in summary
    assert run.json("sync", "status")["last_pass"]["outcome"] == "partly-done"
    assert "partly done (ended early: target: updating copies" in run("sync", "status").stdout

    run("sync", "run")
    titles = {contact.title for _etag, _marker, contact in memory.items().values()}
    assert titles == {"Head of purchasing"}


def test_u4_a_refused_write_is_partly_done_and_a_clean_pass_is_0(run, memory):
    from contacthub.connector import TargetError

    run("contact", "add", "--name", "New Person")
    memory.fail_next("create", TargetError("memory: HTTP 403 Forbidden"))
    result = run("sync", "run", ok=False)
    assert result.exit_code == 3
    assert "1 of 1 writes to memory:folder failed (first: the copy of 'New Person': memory: HTTP 403 Forbidden)" in result.stderr
    assert run("sync", "run").exit_code == 0


def test_u4_a_mass_deletion_stops_with_4_and_status_says_stopped_by_the_safety_check(run, phone):
    for file, _contact in copies(phone).values():
        file.unlink()
    result = run("sync", "run", ok=False)
    assert result.exit_code == 4, result.output
    assert "Error: stopped by the safety check: this pass would remove 3 of 3 synced copies" in result.output
    assert "--force" in result.output
    assert all(not r["deleted_at"] for r in records(run).values())  # nothing changed
    status = run.json("sync", "status")
    assert status["last_pass"]["outcome"] == "stopped"
    assert re.search(r"Last result: +stopped by the safety check: this pass would remove", run("sync", "status").stdout)

    assert run("sync", "run", "--force").exit_code == 0
    assert run.json("sync", "status")["last_pass"]["outcome"] == "done"


def test_u4_a_target_that_suddenly_lists_nothing_stops_with_4(run, phone):
    for file in phone.glob("*.vcf"):
        file.unlink()
    result = run("sync", "run", ok=False)
    assert result.exit_code == 4, result.output
    assert "stopped by the safety check: target vcf:" in result.output and "lists no contacts" in result.output
    assert run.json("sync", "status")["last_pass"]["outcome"] == "stopped"


def test_u4_an_unknown_target_is_an_error_with_1_and_changes_nothing(run, home):
    run("init")
    run("import", str(EXAMPLES))
    for spec, says in (("nosuch:/x", "unknown connector 'nosuch'"), ("phone", "unknown target 'phone'")):
        result = run("sync", "start", spec, ok=False)
        assert result.exit_code == 1 and says in result.output
    assert "[sync]" not in (home / "config.toml").read_text()
    assert run("sync", "run", ok=False).exit_code == 1  # sync is not started


def test_u4_a_target_that_fails_before_changing_anything_is_1_and_status_says_error(run, phone):
    moved = phone.with_name("moved")
    phone.rename(moved)
    phone.write_text("a file where the folder was")
    result = run("sync", "run", ok=False)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "is not a folder" in result.output
    status = run.json("sync", "status")
    assert status["last_pass"]["outcome"] == "error" and "is not a folder" in status["last_pass"]["message"]
    assert re.search(r"Last result: +error: vcf: ", run("sync", "status").stdout)


def test_u4_usage_errors_exit_2(run):
    assert run("contact", "add", ok=False).exit_code == 2  # a contact needs a name
    assert run("sync", "run", "--no-such-option", ok=False).exit_code == 2


@pytest.mark.parametrize("value", ["-5", "0", "x", "nan"])
def test_s8_u4_watch_refuses_a_bad_interval_option_with_2(run, phone, value):
    result = run("sync", "watch", "--interval", value, ok=False)
    assert result.exit_code == 2, result.output
    assert "--interval" in result.output and "above 0" in result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]  # with click's usage hint
    assert error == f"Error: Invalid value for '--interval': must be a number of seconds above 0, not {value!r}"


@pytest.mark.parametrize("value", ["-5", "0", '"x"'])
def test_s8_u4_watch_refuses_a_bad_interval_in_the_config_with_2(run, phone, home, value):
    config = home / "config.toml"
    config.write_text(config.read_text().replace("[sync]\n", f"[sync]\ninterval = {value}\n"))
    result = run("sync", "watch", ok=False)
    assert result.exit_code == 2, result.output
    # The config schema (core/config_schema.py) names the file and the key first, as for every key.
    assert result.output.startswith(f"Error: {config}: [sync] interval = ") and "must be a number of seconds above 0" in result.output
    assert result.output.count("\n") == 1


def test_u4_help_of_pass_commands_documents_the_exit_codes(run):
    for command in (("sync", "run"), ("sync", "start"), ("sync", "change"), ("sync", "stop"), ("db", "use")):
        text = " ".join(run(*command, "--help").output.split())
        assert "Exit codes: 0 done; 1 error, nothing changed; 2 usage; 3 partly done" in text, command
        assert "4 stopped by a safety check" in text
    watch = " ".join(run("sync", "watch", "--help").output.split())
    assert "Exit codes: 0 when stopped by Ctrl-C or SIGTERM" in watch


def test_u4_watch_logs_one_summary_line_for_a_partial_pass_and_goes_on(run, memory):
    """S8 with U4: a pass with a failed write logs its summary; watch does not exit."""
    import threading

    from contacthub.cli.context import Hub
    from contacthub.cli.sync_cmd import one_pass
    from contacthub.connector import TargetError
    from contacthub.sync.target import sync_settings
    from contacthub.sync.watch import watch

    run("contact", "add", "--name", "Late Person")
    memory.fail_next("create", TargetError("memory: HTTP 500"))
    hub = Hub()
    settings = sync_settings(hub.config)
    stop = threading.Event()
    outcomes = []

    def one(**kw):
        outcomes.append(one_pass(hub, settings, quiet=True, **kw).exit_code)
        if len(outcomes) == 2:
            stop.set()

    watcher = threading.Thread(target=watch, args=(hub, settings, 0.01, one, stop))  # not main: no signal handlers
    watcher.start()
    watcher.join(60)
    assert outcomes == [3, 0]  # the partial pass did not end watch; the next one finished the job
    assert "Late Person" in {contact.best_name() for _etag, _marker, contact in memory.items().values()}


def test_u4_a_stop_that_could_not_remove_every_copy_exits_3_with_one_summary_line(run, memory):
    from contacthub.connector import TargetError

    memory.fail_next("delete", TargetError("memory: HTTP 500"), times=2)
    result = run("sync", "stop", ok=False)
    assert result.exit_code == 3, result.output
    assert "Removed 1 synced copy from memory:folder" in result.output
    [summary] = [line for line in result.stderr.splitlines() if line.startswith("sync: ")]
    assert summary.startswith("sync: 2 copies could not be removed from memory:folder (first: ")
    assert summary.endswith("; they keep their marker") and summary.count("HTTP 500") == 2
    assert len([m for _e, m, _c in memory.items().values() if m]) == 2  # still marked, for a later stop


def test_u4_db_use_delete_that_could_not_remove_every_copy_exits_3(run, memory):
    from contacthub.connector import TargetError

    run("db", "create", "second")
    memory.fail_next("delete", TargetError("memory: HTTP 500"))
    result = run("db", "use", "second", "--synced", "delete", ok=False)
    assert result.exit_code == 3, result.output
    assert "Current database: second" in result.output
    [summary] = [line for line in result.stderr.splitlines() if line.startswith("sync: ")]
    assert summary.startswith("sync: 1 copy of the previous database in memory:folder could not be deleted (first: ")
