"""Likely twins listed with their reasons, and merged keeping every value and both histories (I3, D4)."""

from __future__ import annotations

import uuid

from real_exports import OUTLOOK_21

from contacthub import duplicates
from contacthub.model import Contact, Name, Record, RecordType, Typed


def _add(run, *args: str) -> str:
    out = run("contact", "add", *args).stdout
    short = out.split()[2].rstrip(":")
    return next(r["id"] for r in run.json("contact", "list") if r["id"].startswith(short))


def test_i3_duplicates_lists_twins_from_a_mixed_import_with_reasons(run, tmp_path):
    andrea = _add(run, "--name", "Andrea Dunker", "--email", "andrea@fabrikam.example", "--company", "Fabrikam")
    andy = _add(run, "--name", "Andy Dunker", "--email", "ANDREA@fabrikam.example")
    _add(run, "--name", "Jürgen Groß", "--phone", "+49 151 23456789")
    _add(run, "--name", "Jurgen Gross", "--phone", "0049 151 234 567 89")
    _add(run, "--name", "Nobody Else", "--email", "nobody@example.org")
    pairs = run.json("contact", "duplicates")
    assert len(pairs) == 2
    by_name = {frozenset((p["a"]["name"], p["b"]["name"])): p for p in pairs}
    dunker = by_name[frozenset(("Andrea Dunker", "Andy Dunker"))]
    assert {dunker["a"]["id"], dunker["b"]["id"]} == {andrea, andy}
    assert dunker["reasons"] == ["same e-mail andrea@fabrikam.example", "similar name"]
    gross = by_name[frozenset(("Jürgen Groß", "Jurgen Gross"))]
    assert gross["reasons"] == ["same phone +4915123456789", "same name"] and gross["score"] == 100
    table = run("contact", "duplicates").stdout
    assert len(table.splitlines()) == 3 and "similar name" in table and andrea[:8] in table  # piped: header + 2 rows


def test_i3_a_hand_added_contact_and_an_imported_one_end_as_one(run, tmp_path):
    mine = _add(run, "--name", "Andrea Dunker", "--phone", "+47 22 33 44 55", "--category", "Customers")
    (tmp_path / "outlook.vcf").write_bytes(OUTLOOK_21)
    out = run("import", str(tmp_path / "outlook.vcf")).stdout
    assert "0 added, 1 updated" in out
    (record,) = run.json("contact", "list")
    assert record["id"] == mine and record["contact"]["categories"] == ["Customers"]
    assert record["contact"]["emails"][0]["value"] == "andrea@fabrikam.example"


def test_i3_merge_keeps_every_value_both_histories_and_b_redirects_to_a(run):
    a = _add(run, "--name", "Andrea Dunker", "--email", "andrea@fabrikam.example", "--title", "Buyer", "--category", "Customers")
    run("contact", "edit", a, "--note", "prefers e-mail")
    b = _add(run, "--name", "Andrea Dunker", "--email", "a.dunker@home.example", "--phone", "+47 22 33 44 55",
             "--title", "Chief buyer", "--address", "work=Karl Johans gate 1; Oslo; ; 0154; Norway", "--category", "Fair 2024")  # fmt: skip
    run("contact", "edit", b, "--company", "Fabrikam")
    dry = run("contact", "merge", a, b, "--dry-run").stdout
    assert "Would merge" in dry and "a.dunker@home.example" in dry and "'Chief buyer'" in dry
    assert len(run.json("contact", "list")) == 2  # a dry run changes nothing

    out = run("contact", "merge", a, b).stdout
    assert f"Merged {b[:8]}" in out
    (merged,) = run.json("contact", "list")
    c = merged["contact"]
    assert merged["id"] == a
    assert [e["value"] for e in c["emails"]] == ["andrea@fabrikam.example", "a.dunker@home.example"]
    assert [p["value"] for p in c["phones"]] == ["+47 22 33 44 55"]
    assert c["addresses"][0]["street"] == "Karl Johans gate 1" and c["organization"] == "Fabrikam"
    assert c["categories"] == ["Customers", "Fair 2024"] and c["note"] == "prefers e-mail"
    assert c["title"] == "Buyer"  # A's single value stays ...
    history = run.json("contact", "history", a)
    merge_entry = next(h for h in history if h["action"] == "merge")
    assert merge_entry["previous"]["title"] == "Chief buyer"  # ... and B's is in the history
    notes = [h["note"] for h in history]
    assert any(n.startswith(f"[record {b[:8]}]") for n in notes)  # B's own history came along
    assert [h["action"] for h in history].count("create") == 2

    assert run.json("contact", "show", b)["id"] == a  # B's id finds A
    assert run.json("contact", "show", b[:8])["id"] == a
    run("contact", "edit", b, "--role", "Decider")
    assert run.json("contact", "show", a)["contact"]["role"] == "Decider"
    again = run("contact", "merge", a, b, ok=False)
    assert "are the same record" in again.stderr


def test_i3_merge_chains_redirect_the_older_ids_too(run):
    a = _add(run, "--name", "Ann One", "--email", "ann@x.example")
    b = _add(run, "--name", "Ann Two", "--email", "ann@x.example")
    c = _add(run, "--name", "Ann Three", "--email", "ann@x.example")
    run("contact", "merge", b, c)
    run("contact", "merge", a, b)
    assert run.json("contact", "show", c)["id"] == a


def test_i3_merging_a_record_in_deleted_items_is_refused_in_one_line(run):
    a = _add(run, "--name", "Ann One", "--email", "ann@x.example")
    b = _add(run, "--name", "Ann Two", "--email", "ann@x.example")
    run("contact", "delete", b)
    result = run("contact", "merge", a, b, ok=False)
    assert "is in Deleted Items: restore it first" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_i3_duplicates_on_10000_records_scores_only_records_sharing_a_key(monkeypatch):
    business = RecordType("business-contact", "business-contact", builtin=True)

    def record(i: int, contact: Contact) -> Record:
        return Record(id=str(uuid.UUID(int=i)), type=business, contact=contact)

    records = [
        record(i, Contact(uid=str(i), name=Name(f"Family{i}", f"Given{i}"), emails=[Typed(f"person{i}@example.com")],
                          phones=[Typed(f"+47 2{i:07d}")]))
        for i in range(10_000)
    ]  # fmt: skip
    records.append(record(10_001, Contact(uid="twin", name=Name("Family42", "Given42"), emails=[Typed("PERSON42@example.com")])))
    calls = []
    real = duplicates.score
    monkeypatch.setattr(duplicates, "score", lambda a, b: calls.append(1) or real(a, b))
    twins = duplicates.find_duplicates(records)
    assert [(t.a.contact.uid, t.b.contact.uid, t.reasons) for t in twins] == [
        ("42", "twin", ["same e-mail person42@example.com", "same name"])
    ]
    assert len(calls) < 1_000  # all pairs would be 50 million


def test_i3_import_on_duplicate_ask_without_a_terminal_skips_and_says_so(run, tmp_path):
    _add(run, "--name", "Andrea Dunker", "--email", "andrea@fabrikam.example")
    (tmp_path / "andy.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Andy Dunker\r\nN:Dunker;Andy;;;\r\n"
                                       "EMAIL:andrea@fabrikam.example\r\nEND:VCARD\r\n")  # fmt: skip
    result = run("import", str(tmp_path / "andy.vcf"), "--on-duplicate", "ask")
    assert "0 added, 0 updated, 0 unchanged, 1 skipped" in result.stdout
    (line,) = result.stderr.strip().splitlines()  # one line for the card: what it looks like, and why skipped
    assert "likely twin of" in line and "same e-mail andrea@fabrikam.example" in line
    assert line.endswith("skipped (--on-duplicate ask without a terminal to ask)")
    assert len(run.json("contact", "list")) == 1


def test_i3_i1_a_mixed_import_then_duplicates_then_merge_and_importing_everything_again_adds_nothing(run, tmp_path):
    from real_exports import MIX

    folder = tmp_path / "exports"
    folder.mkdir()
    for name, data in MIX.items():
        (folder / name).write_bytes(data)
    # Google CSV with a less certain twin of Outlook's Andrea (same e-mail, another first name).
    (folder / "google.csv").write_text(
        "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value\r\n"
        "Andy Dunker,Andy,Dunker,* myContacts ::: Fair,* Work,andrea@fabrikam.example,Mobile,+47 912 34 567\r\n",
        encoding="utf-8",
    )
    first = run("import", str(folder))
    assert "7 added" in first.stdout and "likely twin of" in first.stderr
    (pair,) = run.json("contact", "duplicates")
    assert {pair["a"]["name"], pair["b"]["name"]} == {"Andrea Dunker", "Andy Dunker"}
    assert pair["reasons"] == ["same e-mail andrea@fabrikam.example", "similar name"]
    run("contact", "merge", pair["a"]["id"], pair["b"]["id"])
    assert run.json("contact", "duplicates") == []
    merged = run.json("contact", "show", pair["b"]["id"])
    assert merged["id"] == pair["a"]["id"]
    assert sorted(p["value"] for p in merged["contact"]["phones"]) == ["+47 22 33 44 55", "+47 912 34 567"]
    again = run("import", str(folder))
    assert "0 added, 0 updated, 7 unchanged" in again.stdout  # both cards of the merged record are known
    assert len(run.json("contact", "list")) == 6
