"""Fleet targets in the database and one pass of one target, in-process (issue 17; T3, C1, U3, S1).

These run on the default SQLite database, without Celery: the rules of a pass
(locks, outcome, backoff, per-target sync state) live in contacthub.fleet.passes,
which the Celery task only wraps. test_fleet_workers.py runs them on real workers.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from store_helpers import contact

from contacthub.fleet.passes import FleetEnv, PutOff, run_target_pass


def _add_records(home_db, names_and_categories):
    with home_db.transaction() as tx:
        return [tx.records.add(contact(n, categories=cats)) for n, cats in names_and_categories]


@pytest.fixture
def env():
    env = FleetEnv()
    yield env
    if "db" in env.__dict__:
        env.db.dispose()


def _files(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == ".vcf")


def test_t3_each_fleet_target_has_its_own_selection_label_and_sync_state(run, env, tmp_path):
    """Two targets, two filters and labels: each holds its own selection; state is kept per fleet name."""
    _add_records(env.db, [("Ann Team", ["Team"]), ("Bo Sales", ["Sales"]), ("Cy Both", ["Team", "Sales"])])
    run("fleet", "add", "team", f"vcf:{tmp_path / 'team'}", "--filter", "Team", "--category", "Biz", "--option", "create=true")
    run("fleet", "add", "sales", f"vcf:{tmp_path / 'sales'}", "--filter", "Sales", "--option", "create=true")
    assert run_target_pass(env, "team") == "done"
    assert run_target_pass(env, "sales") == "done"
    team = [p.read_text() for p in _files(tmp_path / "team")]
    sales = [p.read_text() for p in _files(tmp_path / "sales")]
    assert sorted("Ann Team" in c for c in team) == [False, True] and all("Biz" in c for c in team)
    assert not any("Ann Team" in c or "Biz" in c for c in sales) and len(sales) == 2
    with env.db.transaction(readonly=True) as tx:
        keys = sorted(tx.session.execute(text("SELECT key FROM sync_targets")).scalars())
    assert keys == ["fleet:sales", "fleet:team"]
    status = {r["name"]: r for r in run.json("fleet", "status")}
    assert status["team"]["outcome"] == "done" and status["team"]["passes"] == 1 and status["team"]["changes_behind"] == 0


def test_u3_a_secret_option_is_stored_as_a_reference_never_the_secret(run, env):
    refused = run("fleet", "add", "x", "carddav:https://dav.example/ab/", "--option", "username=ann",
                  "--option", "password=hunter2", ok=False)  # fmt: skip
    assert refused.exit_code == 2 and "hunter2" not in refused.output and "password is a secret" in refused.output
    run("fleet", "add", "x", "carddav:https://dav.example/ab/", "--option", "username=ann", "--option", "password=env:ANN_PW")
    listed = run.json("fleet", "list")
    assert listed[0]["options"] == {"username": "ann", "password": {"env": "ANN_PW"}}


def test_issue17_fleet_import_toml_and_csv_adds_updates_and_names_bad_rows(run, tmp_path):
    toml = tmp_path / "tenant.toml"
    toml.write_text(
        '[targets.alice]\nconnector = "graph"\nlocation = "Contacts"\nmailbox = "alice@contoso.example"\n'
        'client_id = "app-id"\nclient_secret = {env = "GRAPH_SECRET"}\ncategory = "Business"\nfilter = ["Customers"]\n'
        '[targets.bob]\nconnector = "graph"\nlocation = "Contacts"\nmailbox = "bob@contoso.example"\n'
        'client_secret = "plain-secret"\n',
        encoding="utf-8",
    )
    result = run("fleet", "import", str(toml), ok=False)
    assert result.exit_code == 3  # partly done: bob's plain secret is refused, alice is in
    assert "[targets.bob]" in result.output and "plain-secret" not in result.output
    csv = tmp_path / "more.csv"
    csv.write_text(
        "name,connector,location,filter,category,mailbox,client_secret\n"
        "alice,graph,Contacts,Customers;VIP,Business,alice@contoso.example,env:GRAPH_SECRET\n"
        "carol,graph,Contacts,,,carol@contoso.example,keyring:contacthub:graph\n"
        ",graph,Contacts,,,nobody@contoso.example,env:X\n",
        encoding="utf-8",
    )
    result = run("fleet", "import", str(csv), ok=False)
    assert "1 new, 1 updated" in result.output and "more.csv:4" in result.output
    targets = {t["name"]: t for t in run.json("fleet", "list")}
    assert sorted(targets) == ["alice", "carol"]
    assert targets["alice"]["filter"] == ["Customers", "VIP"]
    assert targets["alice"]["options"]["client_secret"] == {"env": "GRAPH_SECRET"}
    assert targets["carol"]["options"] == {"mailbox": "carol@contoso.example",
                                           "client_secret": {"keyring": "contacthub", "username": "graph"}}  # fmt: skip


def test_c1_fleet_remove_takes_the_copies_out_and_leaves_plain_contacts(run, env, tmp_path):
    _add_records(env.db, [("Ann Team", []), ("Bo Team", [])])
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "mine.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Plain Person\r\nN:Person;Plain;;;\r\nEND:VCARD\r\n")
    run("fleet", "add", "phone", f"vcf:{folder}")
    assert run_target_pass(env, "phone") == "done"
    assert len(_files(folder)) == 3
    assert "Would remove 2 synced copies" in run("fleet", "remove", "phone", "--dry-run").output
    result = run("fleet", "remove", "phone")
    assert "Removed 2 synced copies" in result.output
    assert [p.name for p in _files(folder)] == ["mine.vcf"]
    assert run.json("fleet", "list") == []
    with env.db.transaction(readonly=True) as tx:
        assert len(tx.records.list()) == 2  # the database is untouched


def test_issue17_pause_resume_and_unknown_names(run):
    run("fleet", "add", "a", "vcf:/tmp/nowhere-a")
    assert "Paused 1 target" in run("fleet", "pause", "a").output
    assert run.json("fleet", "status")[0]["state"] == "paused"
    missing = run("fleet", "pause", "zz", ok=False)
    assert missing.exit_code == 1 and "no fleet target named 'zz'" in missing.output
    assert "Resumed 1 target" in run("fleet", "resume", "a").output
    assert run("fleet", "add", "a", "vcf:/tmp/other", ok=False).exit_code == 2  # a name is one target


def test_issue17_a_failing_target_backs_off_exponentially_and_recovers(run, env, tmp_path):
    _add_records(env.db, [("Ann Team", [])])
    folder = tmp_path / "later"
    run("fleet", "add", "later", f"vcf:{folder}")  # the folder does not exist yet: the target fails
    assert run_target_pass(env, "later") == "error"
    first = run.json("fleet", "status")[0]
    assert first["failures"] == 1 and first["state"] == "backing off" and first["outcome"] == "error"
    assert run_target_pass(env, "later") == "error"
    second = run.json("fleet", "status")[0]
    gap = lambda row: _seconds(row["backoff_until"]) - _seconds(row["last_pass_at"])  # noqa: E731
    assert round(gap(first)) == 30 and round(gap(second)) == 60
    folder.mkdir()
    assert run_target_pass(env, "later") == "done"
    healed = run.json("fleet", "status")[0]
    assert healed["failures"] == 0 and healed["backoff_until"] is None and healed["lag_seconds"] is not None


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def test_issue17_a_pass_is_put_off_while_another_holds_the_target_or_its_mailbox(run, env, tmp_path):
    from contacthub.fleet.limits import mailbox_lock
    from contacthub.fleet.targets import settings_of
    from contacthub.store.schema import FleetTargetRow
    from contacthub.sync.lock import Busy, pass_lock

    run("fleet", "add", "a", f"vcf:{tmp_path}")
    with pass_lock(env.db, "fleet:a", env.lock_dir):
        with pytest.raises(PutOff):
            run_target_pass(env, "a")
    assert json.loads(run("fleet", "status", "--json").output)[0]["passes"] == 0  # nothing ran
    # Two targets on one Microsoft mailbox take turns (the Graph client's 4 requests stay 4 per mailbox).
    one = settings_of(FleetTargetRow(name="m1", connector="graph", location="Contacts", options={"mailbox": "Ann@X.example"},
                                     filters=[], category=""))  # fmt: skip
    two = settings_of(FleetTargetRow(name="m2", connector="graph", location="Other", options={"mailbox": "ann@x.example"},
                                     filters=[], category=""))  # fmt: skip
    with mailbox_lock(env.db, one.target, env.lock_dir):
        with pytest.raises(Busy):
            with mailbox_lock(env.db, two.target, env.lock_dir):
                pass


def test_issue17_at_most_n_passes_at_once_per_microsoft_tenant(run, env, monkeypatch):
    """N=2: two held slots of a tenant put a third pass of it off; another tenant's pass still gets a slot."""
    from contacthub.fleet.limits import tenant_of, tenant_slot
    from contacthub.fleet.targets import settings_of
    from contacthub.store.schema import FleetTargetRow
    from contacthub.sync.lock import Busy

    monkeypatch.setenv("CONTACTHUB_TENANT_PASSES", "2")

    def target(name, connector, tenant):
        return settings_of(FleetTargetRow(name=name, connector=connector, location=name, filters=[], category="",
                                          options={"tenant": tenant, "mailbox": f"{name}@x.example"})).target  # fmt: skip

    one, two = target("a1", "graph", "Contoso.example"), target("a2", "sharepoint", "contoso.example")
    assert tenant_of(one) == tenant_of(two) == "contoso.example" and tenant_of(target("c", "carddav", "x")) is None
    with tenant_slot(env.db, one, env.lock_dir), tenant_slot(env.db, two, env.lock_dir):
        with pytest.raises(Busy, match="2 passes on Microsoft 365 tenant contoso.example"):
            with tenant_slot(env.db, target("a3", "graph", "contoso.example"), env.lock_dir):
                pass
        with tenant_slot(env.db, target("b1", "graph", "fabrikam.example"), env.lock_dir):
            pass  # another tenant runs
        run("fleet", "add", "a4", "graph:Contacts", "--option", "tenant=contoso.example", "--option", "mailbox=d@x.example")
        with pytest.raises(PutOff):
            run_target_pass(env, "a4")  # a worker's pass of the same tenant is put off, nothing runs
    assert run.json("fleet", "status")[0]["passes"] == 0
    with tenant_slot(env.db, one, env.lock_dir):  # the slots were given back
        pass


def test_u2_scheduler_names_a_broker_that_does_not_answer_and_needs_postgresql(tmp_path):
    """One line each, no traceback, exit 1 (U2, U4); the broker URL is shown without its password (U3)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CONTACTHUB_HOME": str(tmp_path / "home"), "CONTACTHUB_BROKER": "redis://:pw-secret@127.0.0.1:1/0"}
    done = subprocess.run([sys.executable, "-m", "contacthub", "scheduler"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: the broker at redis://") and "does not answer" in done.stderr
    assert "pw-secret" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    env["CONTACTHUB_BROKER"] = "redis://127.0.0.1:6379/0"
    done = subprocess.run([sys.executable, "-m", "contacthub", "scheduler"], env=env, capture_output=True, text=True, timeout=60)
    if "does not answer" not in done.stderr:  # with a Redis here: the default SQLite database is refused
        assert done.returncode == 1 and done.stderr.strip() == (
            "Error: the fleet scheduler needs a PostgreSQL business database (see `contacthub db create --url`)"
        )


def test_issue17_fleet_commands_do_not_import_celery():
    """`contacthub fleet …` and the CLI's start never pay for Celery; only worker/scheduler load it."""
    import subprocess
    import sys

    code = "import sys, contacthub.cli.main, contacthub.cli.fleet_cmd, contacthub.fleet.status; print('celery' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip() == "False"
