"""`contact list --json` writes its records one by one (issue 15): still one valid JSON list, every record in it."""

from __future__ import annotations

import json

from contacthub.cli.output import print_json, print_json_list


def test_u1_the_streamed_json_list_is_the_text_of_the_whole_list(capsys):
    items = [{"a": 1, "b": ["x", {"c": "line\nbreak\x85"}]}, {"d": None}, {}]
    print_json(items)
    whole = capsys.readouterr().out
    print_json_list(iter(items))
    assert capsys.readouterr().out == whole
    print_json_list(iter([]))
    assert json.loads(capsys.readouterr().out) == []


def test_u1_contact_list_json_holds_every_record_once_in_name_order(run, tmp_path):
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-{i}\r\nFN:Person {i:04d}\r\nEMAIL:p{i}@example.com\r\nEND:VCARD\r\n"
        for i in reversed(range(1200))  # more than one chunk of the streamed read
    )
    (tmp_path / "many.vcf").write_text(cards, newline="")
    run("import", str(tmp_path / "many.vcf"))
    records = run.json("contact", "list")
    assert [r["contact"]["display_name"] for r in records] == [f"Person {i:04d}" for i in range(1200)]
    assert len({r["id"] for r in records}) == 1200
    assert run.json("contact", "list", "--search", "p7@example.com")[0]["contact"]["uid"] == "u-7"
