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
