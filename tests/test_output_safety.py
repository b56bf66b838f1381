"""Output safety: a name holding terminal escapes is shown escaped, never raw; typing control
characters into a contact is refused in one line naming the option (U2)."""

from __future__ import annotations

import json

import pytest

from contacthub.cli.context import Hub
from contacthub.connector import TargetError
from contacthub.model import Contact, Name
from contacthub.testing import MemoryConnector

RED = "\x1b[31m"
NAME = f"Mallory {RED}Evil\x1b[0m\rOverwritten\u202eReversed"  # colour, carriage return, bidi override


def stored(name: str, note: str = "") -> str:
    """A record whose name holds control characters, as another program (or an old import) left it."""
    with Hub().database().transaction() as tx:
        contact = Contact(uid="u-evil", display_name=name, name=Name(family=name), note=note)
        return tx.records.add(contact).id


def assert_no_raw_controls(text: str) -> None:
    for raw in ("\x1b", "\r", "\u202e", "\x00"):
        assert raw not in text, repr(text)


def test_u2_contact_list_show_and_history_escape_control_characters(run):
    record_id = stored(NAME, note="first line\nsecond line")
    run("contact", "edit", record_id, "--title", "Boss")
    for args in (("contact", "list"), ("contact", "show", record_id), ("contact", "history", record_id)):
        output = run(*args).output
        assert_no_raw_controls(output)
        assert "\\x1b[31m" in output or "\\x1b[3" in output, (args, output)  # shown, escaped (tables may fold)
    show = run("contact", "show", record_id).output
    assert "Name:        Mallory \\x1b[31mEvil\\x1b[0m\\x0dOverwritten\\u202eReversed" in show
    assert "Note:        first line\nsecond line" in show  # a note keeps its line breaks


def test_u2_json_output_stays_json_with_every_control_escaped(run):
    record_id = stored(NAME + "\x9b")  # C1 CSI: some terminals read it as ESC [
    text = run("contact", "show", record_id, "--json").stdout
    assert_no_raw_controls(text)
    assert "\x9b" not in text
    assert json.loads(text)["contact"]["display_name"] == NAME + "\x9b"  # nothing lost for scripts


def test_u2_rich_markup_in_a_name_is_shown_as_typed(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich's table width: no folding
    stored("Ann [/bold] [red]Red[/red]")
    output = run("contact", "list").output
    assert "Ann [/bold] [red]Red[/red]" in output


def test_u2_u4_sync_messages_escape_names(run, tmp_path):
    from contacthub.plugins import load_plugins

    target = MemoryConnector()
    load_plugins().connectors["memory"] = target.info()
    stored(NAME)
    target.fail_next("create", TargetError(f"memory: refused {RED}"))
    result = run("sync", "start", "memory:x", "--verbose", ok=False)
    assert result.exit_code == 3
    assert_no_raw_controls(result.output)
    assert "the copy of 'Mallory \\x1b[31mEvil" in result.output


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [("--name", f"Ann {RED}Red", "U+001B"), ("--note", "a\x00b", "U+0000"), ("--email", "ann@x.example\r", "U+000D"),
     ("--category", "Cust\x07omers", "U+0007"), ("--title", "x\x7f", "U+007F")],
)  # fmt: skip
def test_u2_control_characters_typed_into_a_field_are_refused_in_one_line(run, option, value, code):
    result = run("contact", "add", "--name", "Ann Smith", option, value, ok=False)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {option}: control character {code} at position ")
    assert result.output.count("\n") == 1
    assert run.json("contact", "list") == []  # nothing stored


def test_u2_tab_and_newline_are_fine_and_edit_checks_too(run):
    run("contact", "add", "--name", "Ann Smith", "--note", "line one\nline\ttwo")
    [record] = run.json("contact", "list")
    assert record["contact"]["note"] == "line one\nline\ttwo"
    result = run("contact", "edit", record["id"], "--company", "Acme\x1b]0;pwned\x07", ok=False)
    assert result.exit_code == 2 and result.output.startswith("Error: --company: control character U+001B")
