"""S8: `sync watch` (a real process) waits quietly while another pass holds the target: it says so
once, not one "pass failed" line per file event, and passes as soon as the lock is free."""

from __future__ import annotations

import re
import signal
import time

import test_sync_watch
from test_sync_watch import DEADLINE, _eventually, _title

from contacthub.cli.context import Hub
from contacthub.sync.lock import pass_lock
from contacthub.sync.target import sync_settings

watching = test_sync_watch.watching  # the fixture: synced examples and a way to start `sync watch`


def test_s8_watch_waits_for_a_busy_target_quietly_and_says_so_once(run, watching):
    folder, start = watching
    hub = Hub()
    key = sync_settings(hub.config).target.key
    file = next(f for f in folder.glob("*.vcf") if "Andrea" in f.read_text(encoding="utf-8"))
    with pass_lock(hub.database(), key, hub.paths.data_dir):  # another pass (a `sync run`, another machine)
        process = start(interval=3600)  # an hour: only the folder's change events make passes
        for n in range(6):  # file events while the target is busy
            text = re.sub(r"TITLE:[^\r\n]*", f"TITLE:Edited {n}", file.read_text(encoding="utf-8"))
            file.write_text(text, encoding="utf-8", newline="")
            time.sleep(0.5)  # spread the events over several of watch's looks at the lock
        assert process.poll() is None  # still there, waiting
    # The lock is free: the next look passes and takes the edit made meanwhile.
    _eventually(lambda: _title(run, "Andrea Dunker") == "Edited 5", "the pass after the lock")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, err
    waiting = [line for line in err.splitlines() if "waiting for another pass" in line]
    assert len(waiting) == 1 and waiting[0].startswith(f"waiting for another pass on vcf:{folder}"), err
    assert "pass failed" not in err and "another sync pass" not in err, err
