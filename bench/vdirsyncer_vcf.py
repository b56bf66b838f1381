"""vdirsyncer on the same cards, as whole processes: its first sync into an empty .vcf folder,
a no-change sync and a sync after 1 % of the cards changed (for bench/run.py --vdirsyncer).

vdirsyncer needs two storages: `a` is a copy of the folder contacthub's first pass
wrote (the very same cards), `b` an empty folder, so its first sync writes N .vcf
files, as contacthub's does. It lives in bench/.venv-vdirsyncer (bench/peer_venv.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from peer_venv import peer_tool

VENV = Path(__file__).parent / ".venv-vdirsyncer"

CONFIG = """[general]
status_path = "{root}/status/"

[pair bench]
a = "bench_a"
b = "bench_b"
collections = null
conflict_resolution = "a wins"

[storage bench_a]
type = "filesystem"
path = "{root}/a/"
fileext = ".vcf"

[storage bench_b]
type = "filesystem"
path = "{root}/b/"
fileext = ".vcf"
"""

# vdirsyncer's own entry point, plus its VmHWM written at exit (ru_maxrss would carry the parent's).
WRAPPER = """import atexit, os, sys
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(os.environ["BENCH_HWM_FILE"], "w").write(line.split()[1])
atexit.register(hwm)
sys.argv[0] = "vdirsyncer"
from vdirsyncer.cli import app
sys.exit(app())
"""


def vdirsyncer_passes(cards: Path, root: Path) -> dict:
    """{first, quiet, edited}: each {wall, process_cpu, rss} of one `vdirsyncer sync` process."""
    peer_tool(VENV, "vdirsyncer")
    root.mkdir()
    shutil.copytree(cards, root / "a")
    (root / "b").mkdir()
    config = root / "config"
    config.write_text(CONFIG.format(root=root), encoding="utf-8")
    hwm = root / "hwm"
    env = {**os.environ, "BENCH_HWM_FILE": str(hwm)}
    base = [str(VENV / "bin" / "python"), "-c", WRAPPER, "-c", str(config)]

    def run(*args: str) -> dict:
        t = time.perf_counter()
        process = subprocess.Popen([*base, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"vdirsyncer {' '.join(args)} failed: {err.decode(errors='replace')[-2000:]}")
        return {"wall": time.perf_counter() - t, "process_cpu": usage.ru_utime + usage.ru_stime, "rss": int(hwm.read_text()) / 1024}

    run("discover")
    first = run("sync")
    assert len(list((root / "b").iterdir())) == len(list((root / "a").iterdir()))
    quiet = run("sync")
    files = sorted((root / "a").iterdir())
    k = max(1, len(files) // 100)
    for path in files[:: max(1, len(files) // k)][:k]:
        path.write_text(path.read_text(encoding="utf-8").replace("NOTE:", "NOTE:edited "), encoding="utf-8")
    edited = run("sync")
    return {"first": first, "quiet": quiet, "edited": edited}
