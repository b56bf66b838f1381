"""U4 through the CLI against the fake mailbox: a pass whose writes Graph throttles exits 3 with one
summary line, and the next pass (no longer throttled) finishes the job.

The app signs in with client credentials; msal's token endpoint is answered on the
same `responses` mock as the fake mailbox, so nothing reaches Entra ID or Graph.
"""

from __future__ import annotations

import re

import pytest
from graph_fake import TOKEN
from graph_helpers import FOLDER

from contacthub.connectors.graph.mapping import MARKER_PROPERTY

TENANT = "contoso.onmicrosoft.com"
LOGIN = f"https://login.microsoftonline.com/{TENANT}"
MAILBOX = "ann@contoso.example"
PEOPLE = 5
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u4-graph-{i}\r\nFN:Person {i}\r\nN:{i};Person;;;\r\nEND:VCARD\r\n"


@pytest.fixture
def outlook(run, home, fake, tmp_path, monkeypatch):
    """A graph target in the config, signing in as an app; PEOPLE contacts in the database."""
    # Microsoft identity platform, OpenID Connect discovery and the client credentials grant:
    # https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (the metadata document)
    # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (the token answer)
    fake.mock.get(
        f"{LOGIN}/v2.0/.well-known/openid-configuration",
        json={
            "token_endpoint": f"{LOGIN}/oauth2/v2.0/token",
            "authorization_endpoint": f"{LOGIN}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{LOGIN}/oauth2/v2.0/devicecode",
            "issuer": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        },
    )
    fake.mock.post(f"{LOGIN}/oauth2/v2.0/token", json={"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN})
    fake.mock.get(re.compile(r"https://login\.microsoftonline\.com/common/discovery/instance\?.*"), json={
        "tenant_discovery_endpoint": f"{LOGIN}/v2.0/.well-known/openid-configuration", "api-version": "1.1",
        "metadata": [{"preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net",
                      "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com"]}],
    })  # fmt: skip
    monkeypatch.setenv("U4_GRAPH_SECRET", "app-secret-value-u4")
    run("init")
    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[targets.outlook]\nconnector = "graph"\nlocation = "{FOLDER}"\n'
            f'client_id = "00000000-1111-2222-3333-444444444444"\ntenant = "{TENANT}"\n'
            f'client_secret = {{ env = "U4_GRAPH_SECRET" }}\nmailbox = "{MAILBOX}"\n'
        )
    source = tmp_path / "people.vcf"
    source.write_text("".join(CARD.format(i=i) for i in range(PEOPLE)), newline="")
    run("import", str(source))
    return fake


def test_u4_a_throttled_pass_on_graph_exits_3_with_one_summary_line_and_the_next_pass_finishes(run, outlook):
    # Every sub-request of the $batch answers 429 with a Retry-After longer than a pass waits
    # (graph.http.MAX_WAIT): the writes fail as throttled, the pass goes on and ends partly done.
    outlook.throttle_subrequests(10**6, retry_after="300")
    first = run("sync", "start", "outlook", ok=False)
    assert first.exit_code == 3, first.output
    slow = [line for line in first.output.splitlines() if "slow down" in line]
    assert len(slow) == 1 and slow[0].startswith(f"sync: {PEOPLE} of {PEOPLE} writes to outlook failed (first: the copy of 'Person ")
    assert "the next pass retries" in slow[0]
    assert outlook.contacts(FOLDER, MAILBOX) == {}
    last = run.json("sync", "status")["last_pass"]
    assert last["outcome"] == "partly-done" and last["failed"] == PEOPLE

    outlook.throttle_subrequests(0)
    run("sync", "run")
    records = {r["id"] for r in run.json("contact", "list")}
    markers = [item["_props"][MARKER_PROPERTY].partition(":")[2] for item in outlook.contacts(FOLDER, MAILBOX).values()]
    assert sorted(markers) == sorted(records)  # one copy each: nothing lost, no twin
    assert run.json("sync", "status")["last_pass"]["outcome"] == "done"
