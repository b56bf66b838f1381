"""U4 through the CLI against the fake SharePoint list: a pass whose item writes SharePoint throttles
exits 3 with one summary line and the next pass finishes; a refused app sign-in exits 1 in one line.

The app signs in with client credentials; msal's endpoints are answered on the fake's own
`responses` mock (test_sharepoint_cli.signed_in, entra_refusal), so nothing reaches Entra ID or Graph.
"""

from __future__ import annotations

import test_sharepoint_cli
from entra_refusal import REFUSED, asked_graph, refuse_app_secret
from exit_checks import one_error_line, one_summary_line, status_says_partly_done
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
        assert "slow down (activityLimitReached" in one_summary_line(first, PEOPLE, PEOPLE, "team-list", "slow down")
        assert not fake.items
        status_says_partly_done(run, PEOPLE, PEOPLE)

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
        one_error_line(result, f"refused ({REFUSED}: AADSTS7000215", secret="team-list-app-secret-51c9")
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
        one_summary_line(result, 2, PEOPLE, "team-list", "accessDenied")
        status_says_partly_done(run, 2, PEOPLE)
        titles = {iid: item["fields"].get("JobTitle") for iid, item in fake.items.items()}
        assert [iid for iid, title in titles.items() if title != "Head of purchasing"] == refused

        fake.refused.clear()
        assert run("sync", "run").exit_code == 0
        assert {item["fields"].get("JobTitle") for item in fake.items.values()} == {"Head of purchasing"}
        markers = [item["fields"][MARKER_COLUMN].partition(":")[2] for item in fake.items.values()]
        assert sorted(markers) == sorted(by_record)  # one copy each: no twin
        assert run.json("sync", "status")["last_pass"]["outcome"] == "done"
