"""Sync started, stopped and run from the browser (issue 16): the CLI's safety rules (services.sync),
C1 on stop after a confirmation, and "sync now" in the background with a polled progress fragment."""

from __future__ import annotations

from playwright.sync_api import expect
from test_cli_sync import EXAMPLES
from test_web_browser import PLAIN_ANDREA, copies


def test_c1_start_sync_to_a_vcf_folder_in_the_browser_then_stop_removes_the_copies_after_confirming(page, web, run, tmp_path, shot):
    run("import", str(EXAMPLES))
    folder = tmp_path / "phone"
    page.goto(web.url + "/sync")
    page.get_by_label("Target").fill(f"vcf:{folder}")
    page.get_by_role("button", name="Start sync").click()
    expect(page.locator("h1")).to_have_text("Not done")  # the CLI's rule: a missing folder is no new folder
    expect(page.locator("body")).to_contain_text("give --create to make it")
    assert not folder.exists()

    page.goto(web.url + "/sync")
    page.get_by_label("Target").fill(f"vcf:{folder}")
    page.get_by_label("Make the folder when it does not exist").check()
    page.get_by_role("button", name="Start sync").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Sync started with vcf:{folder}: {len(run.json('contact', 'list'))} copies made")
    made = copies(folder)
    assert len(made) == run.json("contact", "list").__len__() > 0
    (folder / "plain.vcf").write_bytes(PLAIN_ANDREA.encode())  # a plain contact of the target: stop leaves it
    shot(page, "sync-started")

    page.get_by_role("button", name="Stop sync…").click()
    expect(page.locator("#question")).to_contain_text(f"removes {len(made)} synced copies")
    assert copies(folder) == made  # nothing removed before the answer
    page.get_by_role("button", name="Stop and remove the copies").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"removed {len(made)} synced copies")
    expect(page.locator("body")).to_contain_text("Sync is not started")
    assert copies(folder) == {}
    assert (folder / "plain.vcf").read_bytes() == PLAIN_ANDREA.encode()


def test_sync_now_runs_in_the_background_and_the_polled_fragment_ends_in_the_outcome(page, web, phone, run, shot):
    run("contact", "add", "--name", "Andrea Berg", "--company", "Berg Reisen")
    assert "Andrea Berg" not in copies(phone)
    page.goto(web.url + "/sync")
    page.get_by_role("button", name="Sync now").click()
    outcome = page.locator("#progress-outcome")
    expect(outcome).to_contain_text("Synced: 1 create-copy (1 of 1 changes).", timeout=20000)
    expect(page.locator("#progress[hx-trigger]")).to_have_count(0)  # finished: the fragment stopped polling
    shot(page, "sync-now")
    assert "Andrea Berg" in copies(phone)
    fragment = page.request.get(web.url + "/sync/progress").text()
    assert "Synced: 1 create-copy" in fragment and "hx-trigger" not in fragment


def test_c2_change_target_in_the_browser_moves_the_copies_after_confirming(page, web, phone, tmp_path):
    before = copies(phone)
    other = tmp_path / "tablet"
    page.goto(web.url + "/sync")
    page.get_by_label("Move sync to another target").fill(f"vcf:{other}")
    page.get_by_label("Make the folder when it does not exist").check()
    page.get_by_role("button", name="Change target…").click()
    expect(page.locator("#question")).to_contain_text(f"removes {len(before)} synced copies from vcf:{phone}")
    assert copies(phone) == before and not other.exists()  # nothing moved before the answer
    page.get_by_role("button", name="Change target").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"Sync moved from vcf:{phone} to vcf:{other}")
    assert copies(phone) == {}
    assert sorted(copies(other)) == sorted(before)


def test_mass_deletion_question_in_the_browser_sync_now_changes_nothing_until_sync_anyway(page, web, phone, run):
    """The CLI's `--force` question: a pass that would remove most records stops and asks first."""
    files = sorted(phone.glob("*.vcf"))
    for file in files[1:]:
        file.unlink()  # most copies gone from the target: their records would go too
    kept = len(run.json("contact", "list"))
    page.goto(web.url + "/sync")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#progress-outcome")).to_contain_text("nothing was changed", timeout=20000)
    assert len(run.json("contact", "list")) == kept
    page.get_by_role("button", name="Sync anyway: remove them").click()
    expect(page.locator("#progress-outcome")).to_contain_text("Synced:", timeout=20000)
    assert len(run.json("contact", "list")) == kept - (len(files) - 1)


def test_the_progress_fragment_polls_every_second_with_done_of_total_while_a_pass_runs(home):
    """The running state is too short to catch in a browser: the fragment is checked on its own."""
    from starlette.testclient import TestClient

    from contacthub.services.hub import Workspace
    from contacthub.web.app import create_app
    from contacthub.web.passes import PassProgress, runner

    app = create_app(Workspace(), secret_key="k")
    runner(app).progress = PassProgress(running=True)
    runner(app).progress.start(10)  # the engine's hook, as a pass calls it
    runner(app).progress.advance(3)
    running = TestClient(app).get("/sync/progress").text
    assert 'hx-trigger="every 1s"' in running and "<html" not in running
    assert '<span id="progress-done">3</span> of <span id="progress-total">10</span>' in running
    runner(app).progress.running = False
    runner(app).progress.outcome = "Synced: 3 create-copy (3 of 10 changes)."
    done = TestClient(app).get("/sync/progress").text
    assert "hx-trigger" not in done and "Synced: 3 create-copy" in done
