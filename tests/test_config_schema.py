"""U2/U4: the config file is checked against one schema; each problem is one line naming the key and the file, exit 2."""

from __future__ import annotations

import pytest

GOOD_SYNC = '[sync]\ntarget = "phone"\n[targets.phone]\nconnector = "vcf"\nlocation = "~/Phone"\n'


def write_config(home, text: str):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")
    return home / "config.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # wrong types
        ('[sync]\ntarget = "phone"\ninterval = "x"\n', "[sync] interval = 'x': must be a number of seconds above 0"),
        ('[sync]\ntarget = "phone"\ninterval = true\n', "[sync] interval = True: must be a number of seconds above 0"),
        ("[sync]\ntarget = 7\n", "[sync] target = 7: must be a text"),
        ('[sync]\ntarget = "phone"\nfilter = [1, 2]\n', "[sync] filter = [1, 2]: must be a text or a list of texts"),
        ('[sync]\ntarget = "phone"\nconflict = "me-wins"\n', "[sync] conflict = 'me-wins': must be one of database-wins"),
        ('[databases.team]\nurl = "sqlite://"\npassword = 5\n', "[databases.team] password = 5: must be a secret reference"),
        ('[databases.team]\npassword = "x"\n', "[databases.team] needs a url"),
        ('sync = "vcf:~/Phone"\n', "sync must be a table"),
        # out of range
        ('[sync]\ntarget = "phone"\nmax_delete_share = 7\n', "[sync] max_delete_share = 7: must be a share from 0 to 1"),
        ('[sync]\ntarget = "phone"\nmax_delete_share = -0.1\n', "[sync] max_delete_share = -0.1: must be a share from 0 to 1"),
        ('[sync]\ntarget = "phone"\ninterval = 0\n', "[sync] interval = 0: must be a number of seconds above 0"),
        ('[sync]\ntarget = "phone"\ninterval = -5\n', "[sync] interval = -5: must be a number of seconds above 0"),
        ('[sync]\ntarget = "phone"\ninterval = inf\n', "[sync] interval = inf: must be a number of seconds above 0"),
        # unknown keys, with a did-you-mean
        ('[sync]\ntarget = "phone"\nintervall = 30\n', "[sync] intervall: unknown key (did you mean interval?)"),
        ('current_databse = "x"\n', "current_databse: unknown key (did you mean current_database?)"),
        ('[syncs]\ntarget = "phone"\n', "syncs: unknown key (did you mean sync?)"),
        ('[databases.team]\nurl = "sqlite://"\npasword = "x"\n', "[databases.team] pasword: unknown key (did you mean password?)"),
    ],
)
def test_u2_config_schema_names_the_key_and_the_file_and_exits_2(run, home, text, expected):
    path = write_config(home, text)
    result = run("db", "list", ok=False)
    assert result.exit_code == 2
    assert f"{path}: {expected}" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [("sync", "status"), ("sync", "run"), ("target", "list")])
def test_u2_a_target_key_its_connector_does_not_declare_is_named_when_the_target_is_used(run, home, command):
    path = write_config(home, GOOD_SYNC + 'locaton = "~/Other"\n')
    result = run(*command, ok=False)
    assert result.exit_code == 2
    expected = "[targets.phone] locaton: unknown key of connector vcf (did you mean location?)"
    assert result.stderr.strip() == f"Error: {path}: {expected}"


def test_u2_every_problem_of_the_file_gets_its_own_line(run, home):
    path = write_config(home, '[sync]\ntarget = "phone"\ninterval = "x"\nmax_delete_share = 7\n[bogus]\n')
    lines = run("db", "list", ok=False).stderr.strip().splitlines()
    assert len(lines) == 3 and all(str(path) in line for line in lines)


def test_u2_a_valid_config_with_every_sync_key_and_target_options_is_accepted(run, home):
    write_config(
        home,
        GOOD_SYNC.replace('location = "~/Phone"', 'location = "~/Phone"\ncreate = true')
        + '[targets.dav]\nconnector = "carddav"\nlocation = "https://dav.example.com/"\nusername = "ann"\n'
        + 'password = {env = "DAV_PASSWORD"}\nverify_tls = false\n'
        + '[targets.other]\nconnector = "not-installed"\nanything = 1\n'
        + '[databases.team]\nurl = "sqlite://"\npassword = {keyring = "contacthub", username = "ann"}\n',
    )
    text = (home / "config.toml").read_text()
    text = text.replace('target = "phone"', 'target = "phone"\ncategory = "Business"\nfilter = ["Customers"]\n'
                        'conflict = "newest-wins"\ninterval = 2.5\nmax_delete_share = 0.25')
    (home / "config.toml").write_text(text)
    assert "team" in run("db", "list").stdout


DAV = '[sync]\ntarget = "dav"\n[targets.dav]\nconnector = "carddav"\nlocation = "https://dav.example.com/"\n'
EWS = '[sync]\ntarget = "ex"\n[targets.ex]\nconnector = "ews"\nlocation = "ann@example.com/Contacts"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD_SYNC + 'create = "yes"\n', "[targets.phone] create = 'yes': must be true or false (no quotes)"),
        (GOOD_SYNC.replace('location = "~/Phone"', "location = 7"), "[targets.phone] location = 7: must be a text"),
        (DAV + 'timeout = "30"\n', "[targets.dav] timeout = '30': must be a number of seconds above 0"),
        (DAV + "timeout = 0\n", "[targets.dav] timeout = 0: must be a number of seconds above 0"),
        (DAV + "max_reply_mb = -1\n", "[targets.dav] max_reply_mb = -1: must be a number of MB above 0"),
        (DAV + "password = 12345\n", "[targets.dav] password = 12345: must be a secret reference"),
        (DAV + 'bulk_seed = "true"\n', "[targets.dav] bulk_seed = 'true': must be true or false (no quotes)"),
        (DAV + "verify_tls = 1\n", "[targets.dav] verify_tls = 1: must be true, false or a CA bundle file"),
        (DAV + "username = [\"ann\"]\n", "[targets.dav] username = ['ann']: must be a text"),
        (EWS + "max_wait = -1\n", "[targets.ex] max_wait = -1: must be a number of seconds from 0"),
        (EWS + "version = true\n", "[targets.ex] version = True: must be a text"),
    ],
)
def test_u2_a_built_in_connectors_option_of_the_wrong_type_is_one_line_naming_the_key(run, home, text, expected):
    """Issue 14: declared connector options are type-checked with the config, not deep inside the connector."""
    path = write_config(home, text)
    result = run("sync", "run", ok=False)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: {path}: {expected}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_u2_options_of_the_right_types_pass_the_check(home):
    from contacthub.config_schema import check_target_options

    ok = {
        "connector": "carddav", "location": "https://dav.example.com/", "username": "ann",
        "password": {"env": "X"}, "verify_tls": "/etc/ssl/ca.pem", "timeout": 2.5, "max_reply_mb": 8,
        "bulk_seed": False, "notify_file": "/tmp/n", "tls_fingerprint": "ab:cd", "auth": "basic", "addressbook": "B",
    }  # fmt: skip
    check_target_options("dav", ok, home / "config.toml")
    check_target_options("ex", {"connector": "ews", "location": "a@b/C", "max_wait": 0, "version": 15.2}, home / "c")


def test_u2_every_option_a_built_in_connector_declares_has_a_type_check():
    """A new option of a built-in connector must get its line in OPTION_CHECKS (config_schema.py)."""
    from contacthub.config_schema import OPTION_CHECKS
    from contacthub.plugins import load_plugins

    plugins = load_plugins()
    missing = {
        f"{name}.{key}"
        for name, info in plugins.connectors.items()
        if plugins.origins[name] == "built-in"
        for key in info.options
        if key not in OPTION_CHECKS
    }
    assert missing == set()
