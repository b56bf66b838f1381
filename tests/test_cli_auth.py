"""`contacthub auth login|logout TARGET` through the plugin's sign-in hook (U2, U3)."""

from __future__ import annotations

import re
import stat

import responses

TENANT = "contoso.onmicrosoft.com"
LOGIN = f"https://login.microsoftonline.com/{TENANT}"
CLIENT = "00000000-1111-2222-3333-444444444444"
SECRET = "cli-app-secret-7f2a"
ACCESS = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.fake-cli-token"

CONFIG = f"""
[targets.o365]
connector = "graph"
location = "Business contacts"
client_id = "{CLIENT}"
tenant = "{TENANT}"
client_secret = {{ env = "O365_SECRET" }}
"""


def test_u3_login_and_logout_of_a_graph_target_keep_secrets_out(run, home, monkeypatch):
    monkeypatch.setenv("O365_SECRET", SECRET)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{LOGIN}/v2.0/.well-known/openid-configuration", json={
            "token_endpoint": f"{LOGIN}/oauth2/v2.0/token",
            "authorization_endpoint": f"{LOGIN}/oauth2/v2.0/authorize",
            "issuer": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        })  # fmt: skip
        rsps.post(f"{LOGIN}/oauth2/v2.0/token", json={"token_type": "Bearer", "expires_in": 3599, "access_token": ACCESS})
        result = run("auth", "login", "o365")
    assert f"Signed in to o365 as app {CLIENT}" in result.stdout
    caches = list((home / "cache" / "targets").rglob("graph-token-cache.bin"))
    assert len(caches) == 1 and stat.S_IMODE(caches[0].stat().st_mode) == 0o600
    out = run("auth", "logout", "o365")
    assert "Signed out of o365" in out.stdout and not caches[0].exists()
    for text in (result.output, out.output, (home / "config.toml").read_text()):
        assert SECRET not in text and ACCESS not in text


def test_u2_a_connector_without_sign_in_says_so_in_one_line(run, tmp_path):
    result = run("auth", "login", f"vcf:{tmp_path}", ok=False)
    assert re.search(r"connector 'vcf' has no sign-in", result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1


def test_u1_auth_dry_runs_touch_no_token_cache(run, home, monkeypatch):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG)
    assert "Would sign in to o365 (graph)" in run("auth", "login", "o365", "--dry-run").stdout
    assert "Would forget the sign-in of o365" in run("auth", "logout", "o365", "--dry-run").stdout
    assert not list((home / "cache").rglob("graph-token-cache.bin"))
