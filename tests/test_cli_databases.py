"""Several business databases, one current (D2), SQLite and PostgreSQL; secrets stay out (U3)."""

from __future__ import annotations

import pytest


def test_d2_create_list_switch_keeps_records_apart(run):
    run("contact", "add", "--name", "In Default")
    run("db", "create", "second")
    listed = {d["name"]: d for d in run.json("db", "list")}
    assert listed["default"]["current"] and not listed["second"]["current"]
    run("db", "use", "second")
    assert run.json("contact", "list") == []
    run("contact", "add", "--name", "In Second")
    run("db", "use", "default")
    assert [r["contact"]["display_name"] for r in run.json("contact", "list")] == ["In Default"]


def test_d2_use_of_an_unknown_database_is_one_line(run):
    result = run("db", "use", "nope", ok=False)
    assert "unknown database 'nope'" in result.stderr and "known: default" in result.stderr


@pytest.mark.postgres
def test_d2_a_team_database_on_postgresql(run, pg_url):
    run("db", "create", "team", "--url", pg_url, "--use")
    run("type", "add", "Reseller", "--based-on", "business-contact")
    run("contact", "add", "--name", "Pat Postgres", "--type", "Reseller", "--category", "Team")
    records = run.json("contact", "list", "--category", "team")
    assert [(r["contact"]["display_name"], r["type"]) for r in records] == [("Pat Postgres", "Reseller")]
    run("db", "use", "default")
    assert run.json("contact", "list") == []


def test_u2_u3_a_database_that_cannot_connect_fails_in_one_line_without_the_password(run, home, memory_keyring):
    result = run("db", "create", "bad", "--url", "postgresql+psycopg://bob:hunter2@127.0.0.1:1/x", ok=False)
    assert "hunter2" not in result.output
    assert "127.0.0.1:1" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "bad" not in {d["name"] for d in run.json("db", "list")}  # not added when it cannot open
    assert not (home / "config.toml").exists()  # nothing, so no password either, was written


@pytest.mark.postgres
def test_u3_a_password_in_the_url_goes_to_the_keyring_not_the_config(run, home, pg_url, memory_keyring):
    url = pg_url.replace("postgres@", "postgres:pw-in-url@")  # trust auth ignores the password
    run("db", "create", "team", "--url", url)
    config_text = (home / "config.toml").read_text()
    assert "pw-in-url" not in config_text
    assert 'keyring = "contacthub"' in config_text
    assert memory_keyring.passwords[("contacthub", "database:team")] == "pw-in-url"
    assert "pw-in-url" not in run("db", "list").output
    run("db", "use", "team")  # opens with the password fetched back from the keyring


@pytest.mark.postgres
def test_u3_password_env_is_a_reference_never_the_value(run, home, pg_url, monkeypatch):
    monkeypatch.setenv("TEAM_PW", "from-env")
    run("db", "create", "team", "--url", pg_url, "--password-env", "TEAM_PW")
    text = (home / "config.toml").read_text()
    assert 'env = "TEAM_PW"' in text and "from-env" not in text


@pytest.mark.postgres
def test_d2_db_list_shows_each_postgresql_databases_schema(run, home, pg_url):
    """Issue 14: a team database's tables live in a PostgreSQL schema of its own; `db list` says which."""
    run("db", "create", "team", "--url", pg_url)  # the test server's URL names its schema: ?options=-csearch_path%3DNAME
    with open(home / "config.toml", "a") as config:  # a second one, by hand, with its own schema setting
        config.write('\n[databases.sales]\nurl = "postgresql+psycopg://127.0.0.1/sales"\nschema = "sales_team"\n')
    listed = {d["name"]: d for d in run.json("db", "list")}
    expected = pg_url.rsplit("search_path%3D", 1)[1]
    assert (listed["default"]["schema"], listed["team"]["schema"], listed["sales"]["schema"]) == (None, expected, "sales_team")
    header, *rows = run("db", "list").stdout.splitlines()  # piped: tab-separated
    assert header.split("\t")[-1] == "Schema"
    assert {row.split("\t")[1]: row.split("\t")[-1] for row in rows} == {"default": "", "team": expected, "sales": "sales_team"}
