"""`contact edit --add-…/--remove-…`, the diff of --dry-run (U1), `contact history` as old → new and `contact revert` (D4)."""

from __future__ import annotations

import pytest


@pytest.fixture
def ann(run) -> str:
    out = run(
        "contact", "add", "--name", "Ann Smith", "--email", "work=ann@x.example", "--phone", "cell=+47 22 33 44 55",
        "--address", "work=Street 1; Oslo; ; 0150; Norway", "--category", "Customers",
    ).stdout  # fmt: skip
    return out.split()[2].rstrip(":")


def contact(run, record_id: str) -> dict:
    return run.json("contact", "show", record_id)["contact"]


def test_u1_add_email_keeps_the_first_one(run, ann):
    run("contact", "edit", ann, "--add-email", "home=ann@home.example")
    emails = [(e["value"], e["types"]) for e in contact(run, ann)["emails"]]
    assert emails == [("ann@x.example", ["work"]), ("ann@home.example", ["home"])]


def test_u1_remove_email_matches_the_value_case_insensitively_and_keeps_the_others(run, ann):
    run("contact", "edit", ann, "--add-email", "ann@home.example")
    run("contact", "edit", ann, "--remove-email", "ANN@X.example")
    assert [e["value"] for e in contact(run, ann)["emails"]] == ["ann@home.example"]


def test_u1_remove_phone_matches_the_number_however_it_is_written(run, ann):
    run("contact", "edit", ann, "--add-phone", "work=+47 22 99 88 77", "--remove-phone", "+4722334455")
    assert [p["value"] for p in contact(run, ann)["phones"]] == ["+47 22 99 88 77"]


def test_u1_add_and_remove_address_and_category(run, ann):
    run(
        "contact", "edit", ann, "--add-address", "home=Home 2; Bergen", "--remove-address", "street 1; oslo; ; 0150; norway",
        "--add-category", "Partners", "--remove-category", "CUSTOMERS",
    )  # fmt: skip
    c = contact(run, ann)
    assert [(a["street"], a["locality"], a["types"]) for a in c["addresses"]] == [("Home 2", "Bergen", ["home"])]
    assert c["categories"] == ["Partners"]


def test_u1_adding_a_value_already_there_changes_nothing(run, ann):
    assert "No change" in run("contact", "edit", ann, "--add-email", "Ann@X.example").stdout
    assert run.json("contact", "show", ann)["version"] == 1


def test_u2_removing_a_value_the_contact_lacks_is_one_line_and_changes_nothing(run, ann):
    result = run("contact", "edit", ann, "--remove-email", "bob@x.example", "--title", "Boss", ok=False)
    assert result.exit_code == 1
    assert "cannot remove e-mail 'bob@x.example'" in result.stderr and "ann@x.example" in result.stderr
    assert run.json("contact", "show", ann)["version"] == 1


def test_u1_email_still_replaces_every_email_as_help_says(run, ann):
    run("contact", "edit", ann, "--add-email", "ann@home.example")
    run("contact", "edit", ann, "--email", "new@x.example")
    assert [e["value"] for e in contact(run, ann)["emails"]] == ["new@x.example"]
    assert "replaces every email" in run("contact", "edit", "--help").stdout


def test_u1_dry_run_shows_the_change_as_old_to_new_and_changes_nothing(run, ann):
    out = run("contact", "edit", ann, "--add-email", "home=ann@home.example", "--title", "Boss", "--dry-run").stdout
    assert "Would update" in out
    assert "title: (none) → Boss" in out
    assert "emails: ann@x.example (work) → ann@x.example (work), ann@home.example (home)" in out
    assert run.json("contact", "show", ann)["version"] == 1


def test_d4_history_shows_each_change_as_old_to_new(run, ann):
    run("contact", "edit", ann, "--title", "Boss")
    run("contact", "edit", ann, "--title", "Chief", "--add-email", "ann@home.example")
    entries = run.json("contact", "history", ann)
    assert [e["version"] for e in entries] == [1, 2, 3]
    assert entries[1]["changes"] == [{"field": "title", "old": "(none)", "new": "Boss"}]
    assert entries[2]["changes"] == [
        {"field": "title", "old": "Boss", "new": "Chief"},
        {"field": "emails", "old": "ann@x.example (work)", "new": "ann@x.example (work), ann@home.example"},
    ]
    assert "Chief" in run("contact", "history", ann).stdout  # the table shows the changes too


def test_d4_revert_brings_a_version_back_as_a_new_version_and_keeps_history(run, ann):
    run("contact", "edit", ann, "--title", "Boss", "--add-email", "ann@home.example")
    run("contact", "edit", ann, "--type", "account")
    out = run("contact", "revert", ann, "1").stdout
    assert "Brought back version 1" in out and "as version 4" in out
    assert "title: Boss → (none)" in out and "type: account → business-contact" in out
    shown = run.json("contact", "show", ann)
    assert shown["version"] == 4 and shown["type"] == "business-contact"
    assert shown["contact"]["title"] == "" and [e["value"] for e in shown["contact"]["emails"]] == ["ann@x.example"]
    history = run.json("contact", "history", ann)
    assert [e["version"] for e in history] == [1, 2, 3, 4] and history[-1]["note"].endswith("reverted to version 1")
    run("contact", "revert", ann, "2")  # the reverted-away version is still there to bring back
    assert contact(run, ann)["title"] == "Boss"


def test_d4_revert_dry_run_shows_the_diff_and_changes_nothing(run, ann):
    run("contact", "edit", ann, "--title", "Boss")
    out = run("contact", "revert", ann, "1", "--dry-run").stdout
    assert "Would bring back version 1" in out and "title: Boss → (none)" in out
    assert run.json("contact", "show", ann)["version"] == 2


def test_d4_revert_to_a_version_that_does_not_exist_is_one_line(run, ann):
    result = run("contact", "revert", ann, "7", ok=False)
    assert result.exit_code == 1 and "has no version 7" in result.stderr and "versions kept: 1" in result.stderr
