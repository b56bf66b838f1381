"""`contacthub sync start` on a SharePoint contacts list, through the CLI and the app sign-in (S1, issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from sharepoint_fake import HUB_COLUMNS, LIST_ID, LOCATION, SITE_ID, TOKEN, FakeSharePoint
from sharepoint_helpers import open_sharepoint

from contacthub.connectors.sharepoint.mapping import HELD_FIELDS, MARKER_COLUMN
from contacthub.sync.copies import held
from contacthub.vcard import read_vcards

EXAMPLES = Path(__file__).parents[3] / "examples" / "contacts.vcf"
TENANT = "contoso.onmicrosoft.com"
LOGIN = f"https://login.microsoftonline.com/{TENANT}"
CONFIG = f"""
[targets.team-list]
connector = "sharepoint"
location = "{LOCATION}"
client_id = "00000000-1111-2222-3333-444444444444"
tenant = "{TENANT}"
client_secret = {{ env = "TEAM_LIST_SECRET" }}
"""
COLUMNS = ("POST", f"/sites/{SITE_ID}/lists/{LIST_ID}/columns")


@pytest.fixture
def configured(home, monkeypatch):
    monkeypatch.setenv("TEAM_LIST_SECRET", "team-list-app-secret-51c9")
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG)


def signed_in(fake: FakeSharePoint) -> FakeSharePoint:
    """The tenant's sign-in endpoints (OpenID discovery, client-credentials token) next to the list."""
    fake.mock.add(responses.GET, f"{LOGIN}/v2.0/.well-known/openid-configuration", json={
        "token_endpoint": f"{LOGIN}/oauth2/v2.0/token", "authorization_endpoint": f"{LOGIN}/oauth2/v2.0/authorize",
        "issuer": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
    })  # fmt: skip
    fake.mock.add(responses.POST, f"{LOGIN}/oauth2/v2.0/token", json={"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN})
    return fake


def marked(fake: FakeSharePoint) -> list[str]:
    return sorted(item["fields"]["FullName"] for item in fake.items.values() if item["fields"].get(MARKER_COLUMN))


@pytest.mark.parametrize("hidden", [(), HUB_COLUMNS], ids=["fresh-contacts-list", "list-with-the-hidden-columns"])
def test_s1_s2_sync_start_on_a_contacts_list_copies_everything_and_later_passes_write_nothing(run, configured, hidden):
    with signed_in(FakeSharePoint(hidden_columns=hidden)) as fake:
        run("import", str(EXAMPLES))
        out = run("sync", "start", "team-list")
        assert "3 create-copy" in out.stdout
        assert marked(fake) == ["Andrea Dunker", "Jürgen Groß", "Northwind Traders"]
        copies = {c.display_name: held(c, HELD_FIELDS) for c in (i.contact for i in open_sharepoint().fetch(list(fake.items)))}
        for contact in read_vcards(EXAMPLES.read_bytes(), str(EXAMPLES)).contacts:
            assert copies[contact.display_name] == held(contact, HELD_FIELDS)  # read back as the database holds it
        assert fake.calls.count(COLUMNS) == (2 if not hidden else 0)
        versions = fake.versions()
        for _ in range(3):
            run("sync", "run")
        assert fake.calls.count(COLUMNS) == (2 if not hidden else 0) and fake.versions() == versions
        assert not [c for c in fake.calls if c[0] == "PATCH"]
