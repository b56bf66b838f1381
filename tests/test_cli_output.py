"""What the CLI prints (issue 14, Output): tables at 80 columns and in pipes, a reader
that goes away, plurals, labelled dry runs and conflicts, help texts, -v and --debug (U1, U2, U3, U4)."""

from __future__ import annotations

import logging
import os
import pty
import re
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

from contacthub.cli.output import plural
from contacthub.cli.verbose import mask_credentials

CONTACTHUB = [sys.executable, "-m", "contacthub"]
LONG = {
    "name": "Maximiliane Oberstaatsanwältin-Brandenburg",
    "email": "maximiliane.oberstaatsanwaeltin@landgericht-brandenburg.example",
    "company": "Landgericht Brandenburg an der Havel",
    "category": "Strafverfolgungsbehörden",
}


def _add_long_contacts(run) -> set[str]:
    """Two records with long words in every column; the words the table may show."""
    run("contact", "add", "--name", LONG["name"], "--email", LONG["email"], "--company", LONG["company"],
        "--phone", "+49 30 1234567", "--category", LONG["category"], "--category", "Customers")  # fmt: skip
    run("contact", "add", "--name", "Ann Lee", "--company", "Fabrikam", "--category", "Partners")
    words = set()
    for value in (*LONG.values(), "+49 30 1234567", "Customers", "Ann Lee", "Fabrikam", "Partners", "business-contact"):
        words.update(value.replace(",", " ").split())
    return words


def _in_terminal(*args: str, columns: int = 80) -> str:
    """The command's output on a real terminal (a pty) `columns` wide."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "60", "TERM": "dumb", "NO_COLOR": "1"}
    process = subprocess.Popen([*CONTACTHUB, *args], stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0, process.stderr.read().decode()
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_u1_table_at_80_columns_never_splits_a_word(run):
    words = _add_long_contacts(run)
    out = _in_terminal("contact", "list")
    assert max(len(line) for line in out.splitlines()) <= 80
    headers = {"ID", "Name", "Company", "Email", "Phone", "Type", "Categories", "2", "records"}
    shown = [t for t in re.split(r"[\s│┃┏┓┗┛┡┩└┘┌┐━─┳┻╇╈┼┬┴├┤|,]+", out) if t]
    for token in shown:
        if token.endswith("…"):  # a word wider than its column, cut, not folded onto the next line
            assert any(w.startswith(token[:-1]) for w in words | headers), token
        elif not re.fullmatch(r"[0-9a-f]{8}", token):  # the ids
            assert token in words | headers, f"{token!r}: part of a split word\n{out}"


def test_u1_table_in_a_pipe_is_one_tab_separated_line_per_row(run):
    _add_long_contacts(run)
    out = subprocess.run([*CONTACTHUB, "contact", "list"], capture_output=True, text=True, check=True,
                         env={**os.environ, "COLUMNS": "80"}).stdout  # fmt: skip
    lines = out.splitlines()
    assert lines[0].split("\t") == ["ID", "Name", "Company", "Email", "Phone", "Type", "Categories"]
    rows = {line.split("\t")[1]: line.split("\t") for line in lines[1:]}
    assert len(lines) == 3 and set(rows) == {"Ann Lee", LONG["name"]}
    assert rows[LONG["name"]][2:] == [LONG["company"], LONG["email"], "+49 30 1234567", "business-contact",
                                      f"{LONG['category']}, Customers"]  # fmt: skip


def _many_cards(path: Path, count: int) -> Path:
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:pipe-{i}\r\nFN:Person {i:05d}\r\nN:{i:05d};Person;;;\r\n"
        f"EMAIL:person{i}@example.com\r\nCATEGORIES:Customers\r\nEND:VCARD\r\n"
        for i in range(count)
    )
    path.write_text(cards, newline="")
    return path


@pytest.mark.parametrize("args", [("contact", "list"), ("contact", "list", "--json")])
@pytest.mark.parametrize("head", [["head", "-1"], ["head", "-n", "0"]])
def test_u4_a_reader_that_stops_early_ends_the_command_quietly(run, tmp_path, args, head):
    """`contacthub contact list | head -1`: no "Error: Broken pipe", no traceback, exit 0.

    `head -n 0` closes the pipe before the command writes a byte, so the write
    surely meets a closed pipe; `head -1` reads the first line and goes.
    """
    run("import", str(_many_cards(tmp_path / "many.vcf", 1500)))
    lister = subprocess.Popen([*CONTACTHUB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader = subprocess.Popen(head, stdin=lister.stdout, stdout=subprocess.PIPE)
    lister.stdout.close()  # only the reader holds it now
    first, _ = reader.communicate(timeout=60)
    stderr = lister.stderr.read()
    assert (lister.wait(timeout=60), stderr) == (0, b"")
    assert first.strip() in (b"ID\tName\tCompany\tEmail\tPhone\tType\tCategories", b"[", b"")


def test_u1_plurals_one_copy_and_two_records(run, tmp_path):
    assert [plural(1, "copy"), plural(2, "copy"), plural(0, "record"), plural(1, "record")] == [
        "1 copy", "2 copies", "0 records", "1 record"]  # fmt: skip
    assert plural(2, "day") == "2 days" and plural(1_500, "record") == "1,500 records"
    folder = tmp_path / "phone"
    folder.mkdir()
    run("contact", "add", "--name", "Only One")
    run("sync", "start", f"vcf:{folder}")
    assert "Removed 1 synced copy from" in run("sync", "stop").stdout


def _commands(command: click.Command, path: tuple[str, ...] = ()):
    yield path
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            yield from _commands(command.get_command(click.Context(command), name), (*path, name))


def test_u1_no_spec_ids_in_any_help_and_no_summary_cut_at_an_abbreviation(run):
    from contacthub.cli.main import cli

    paths = list(_commands(cli))
    assert len(paths) > 30 and ("sync", "run") in paths and ("type", "add") in paths
    for path in paths:
        text = run(*path, "--help").stdout
        found = re.findall(r"\b[A-Z]\d{1,2}(?:[–-][A-Z]?\d{1,2})?\b", text)
        assert not found, f"contacthub {' '.join(path)} --help names SPEC IDs {found}"
        # click shortens a summary at its first ". ": "e.g." left "Create a custom record type, e.g."
        assert not re.search(r"\b(?:e\.g|i\.e)\.(?:\.\.)?\s*$", text, re.M), f"{path}: a summary cut at e.g."
    assert "A1" not in run("adopt", "--help").stdout and "Take a plain contact" in run("adopt", "--help").stdout


def test_u1_conflicts_in_status_show_both_values(run, tmp_path):
    folder = tmp_path / "phone"
    folder.mkdir()
    run("contact", "add", "--name", "Kim Berg", "--title", "Buyer")
    [record_id] = [r["id"] for r in run.json("contact", "list")]
    run("sync", "start", f"vcf:{folder}")
    [copy] = folder.glob("*.vcf")
    copy.write_text(copy.read_text(encoding="utf-8").replace("TITLE:Buyer", "TITLE:Phone title"), newline="")
    run("contact", "edit", record_id, "--title", "Office title")
    run("sync", "run")
    out = run("sync", "status").stdout
    header = "When\tRecord\tField\tDatabase had\tTarget had\tKept"
    assert header in out
    row = out.splitlines()[out.splitlines().index(header) + 1].split("\t")
    assert row[1:] == ["Kim Berg", "title", "Office title", "Phone title", "database"]


def test_u1_verbose_says_each_request_batch_before_or_after_the_command(run, tmp_path):
    folder = tmp_path / "phone"
    folder.mkdir()
    for name in ("Ann Lee", "Bo Ek", "Cy Dahl"):
        run("contact", "add", "--name", name)
    out = run("-v", "sync", "start", f"vcf:{folder}")
    assert re.search(rf"→ vcf:{re.escape(str(folder))}: create 3 items", out.stderr), out.stderr
    run("contact", "add", "--name", "Di Falk")
    for args in (("-v", "sync", "run"), ("sync", "run", "-v")):
        err = run(*args).stderr
        assert "→ vcf:" in err and ("changes" in err or "list every item" in err), err
    assert "→ " not in run("sync", "run").stderr  # without -v: quiet


def test_u3_debug_logs_libraries_with_credentials_masked(run):
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    err = run("--debug", "sync", "start", f"carddav:http://127.0.0.1:{port}/dav/", ok=False).stderr
    assert (root.handlers, root.level) == before  # undone when the command ends
    assert f"debug: urllib3.connectionpool: Starting new HTTP connection (1): 127.0.0.1:{port}" in err, err
    assert "→ carddav:" in err  # --debug says everything -v says
    assert "debug: " not in run("contact", "list").stderr
    line = "send: Authorization: Bearer eyJ0eXAi.secret.part, password='hunter2' client_secret=abc&x=1"
    masked = mask_credentials(line)
    assert "eyJ0eXAi" not in masked and "hunter2" not in masked and "abc" not in masked
    assert masked.count("***") == 3 and "x=1" in masked
