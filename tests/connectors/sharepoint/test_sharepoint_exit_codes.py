"""U4 through the CLI against the fake SharePoint list: a pass whose item writes SharePoint throttles
exits 3 with one summary line and the next pass finishes; a refused app sign-in exits 1 in one line.

The app signs in with client credentials; msal's endpoints are answered on the fake's own
`responses` mock (test_sharepoint_cli.signed_in, entra_refusal), so nothing reaches Entra ID or Graph.
"""

from __future__ import annotations

import test_sharepoint_cli
from entra_refusal import REFUSED, asked_graph, refuse_app_secret
from sharepoint_fake import HUB_COLUMNS, FakeSharePoint
from test_sharepoint_cli import LOGIN, signed_in

from contacthub.connectors.sharepoint.mapping import MARKER_COLUMN

# The fixture: the team-list target in the config, its app secret in the environment.
configured = test_sharepoint_cli.configured
PEOPLE = 5
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u4-sp-{i}\r\nFN:Person {i}\r\nN:{i};Person;;;\r\nEND:VCARD\r\n"


def import_people(run, tmp_path) -> None:
    source = tmp_path / "people.vcf"
    source.write_text("".join(CARD.format(i=i) for i in range(PEOPLE)), newline="")
    run("import", str(source))


def test_u4_a_throttled_pass_on_sharepoint_exits_3_with_one_summary_line_and_the_next_pass_finishes(run, configured, tmp_path):
    with signed_in(FakeSharePoint()) as fake:
        import_people(run, tmp_path)
        # Every item write answers 429 with a Retry-After longer than a pass waits (graph.http.MAX_WAIT):
        # the writes fail as throttled, the pass goes on and ends partly done.
        fake.throttle_writes(10**6, status=429, retry_after="300")
        first = run("sync", "start", "team-list", ok=False)
        assert first.exit_code == 3, first.output
        assert "Traceback" not in first.output
        failing = [line for line in first.output.splitlines() if "slow down" in line or "Person " in line]
        assert len(failing) == 1, first.output  # one summary line, no line per item
        assert failing[0].startswith(f"sync: {PEOPLE} of {PEOPLE} writes to team-list failed (first: the copy of 'Person ")
        assert "the next pass retries" in failing[0]
        assert not fake.items
        last = run.json("sync", "status")["last_pass"]
        assert last["outcome"] == "partly-done" and last["failed"] == PEOPLE
        assert f"partly done ({PEOPLE} of {PEOPLE} writes failed)" in run("sync", "status").stdout

        fake.throttled.clear()
        assert run("sync", "run").exit_code == 0
        records = {r["id"] for r in run.json("contact", "list")}
        markers = [item["fields"][MARKER_COLUMN].partition(":")[2] for item in fake.items.values()]
        assert sorted(markers) == sorted(records) and len(records) == PEOPLE  # one copy each: nothing lost, no twin
        assert run.json("sync", "status")["last_pass"]["outcome"] == "done"


def test_u2_u4_a_refused_app_sign_in_on_sharepoint_exits_1_in_one_line_and_changes_nothing(run, configured, home, tmp_path):
    with FakeSharePoint() as fake:
        refuse_app_secret(fake.mock, LOGIN)
        import_people(run, tmp_path)
        result = run("sync", "start", "team-list", ok=False)
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and REFUSED in result.output, result.output
        assert "team-list-app-secret-51c9" not in result.output
        assert "[sync]" not in (home / "config.toml").read_text()  # nothing changed: sync is not started
        assert asked_graph(fake.mock) == []  # refused before the list was asked anything


def test_u4_an_item_write_sharepoint_refuses_with_403_makes_sync_run_exit_3_and_the_next_pass_writes_it(run, configured, tmp_path):
    with signed_in(FakeSharePoint(hidden_columns=HUB_COLUMNS)) as fake:
        import_people(run, tmp_path)
        run("sync", "start", "team-list")
        by_record = {item["fields"][MARKER_COLUMN].partition(":")[2]: iid for iid, item in fake.items.items()}
        for record_id in by_record:
            run("contact", "edit", record_id, "--title", "Head of purchasing")
        # graph/errors: 403 accessDenied, "The caller doesn't have permission to perform the action"
        # (an item with its own permissions the app may not change); the other items are written.
        refused = sorted(by_record.values())[:2]
        for iid in refused:
            fake.refused[iid] = (403, "accessDenied", "Access denied. You do not have permission to perform this action.")
        result = run("sync", "run", ok=False)
        assert result.exit_code == 3, result.output
        failing = [line for line in result.output.splitlines() if "accessDenied" in line or "Person " in line]
        assert len(failing) == 1 and failing[0].startswith(f"sync: 2 of {PEOPLE} writes to team-list failed"), result.output
        assert run.json("sync", "status")["last_pass"]["outcome"] == "partly-done"
        titles = {iid: item["fields"].get("JobTitle") for iid, item in fake.items.items()}
        assert [iid for iid, title in titles.items() if title != "Head of purchasing"] == refused

        fake.refused.clear()
        assert run("sync", "run").exit_code == 0
        assert {item["fields"].get("JobTitle") for item in fake.items.values()} == {"Head of purchasing"}
        markers = [item["fields"][MARKER_COLUMN].partition(":")[2] for item in fake.items.values()]
        assert sorted(markers) == sorted(by_record)  # one copy each: no twin
        assert run.json("sync", "status")["last_pass"]["outcome"] == "done"
