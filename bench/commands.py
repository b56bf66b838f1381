"""How fast the everyday commands answer, as whole processes, beside khard: `python bench/run.py --commands`.

Not a test: nothing is asserted. A person types `contact list`, `contact show` and
`sync status` all day, so what counts is the whole process (interpreter start,
imports, opening the database, printing), measured from outside: each command runs
REPS times on a database of N records and the median wall time is printed. The
peer is `khard list` (a console address book on a vdir of the same N cards), from
a venv of its own made on first use (bench/.venv-khard), as bench/carddav.py does
for vdirsyncer. `python -c pass` is the interpreter's own start-up, the floor.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peer_venv import peer_tool

HERE = Path(__file__).resolve().parent
KHARD_VENV = HERE / ".venv-khard"
REPS = 7


def card(i: int) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-{i:06d}\r\nFN:Person {i:06d} Bench\r\n"
        f"N:Bench;Person {i:06d};;;\r\nORG:Company {i % 997}\r\nEMAIL;TYPE=work:p{i}@example.com\r\n"
        f"TEL;TYPE=cell:+47 22 {i:06d}\r\nCATEGORIES:Customers\r\nEND:VCARD\r\n"
    )


def median_time(command: list[str], env: dict[str, str]) -> float:
    """Median wall time of REPS runs (after one warm-up run that fills the page cache)."""
    times = []
    for rep in range(REPS + 1):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if rep:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n: int) -> list[tuple[str, float]]:
    contacthub = str(Path(sys.executable).parent / "contacthub")
    root = Path(tempfile.mkdtemp(prefix=f"contacthub-commands-{n}-"))
    env = {**os.environ, "CONTACTHUB_HOME": str(root / "home"), "COLUMNS": "120"}
    try:
        cards = root / "cards.vcf"
        cards.write_text("".join(card(i) for i in range(n)), newline="")
        subprocess.run([contacthub, "import", str(cards)], env=env, check=True, stdout=subprocess.DEVNULL)
        (root / "phone").mkdir()
        subprocess.run([contacthub, "sync", "start", f"vcf:{root / 'phone'}"], env=env, check=True, stdout=subprocess.DEVNULL)
        listed = subprocess.run([contacthub, "contact", "list"], env=env, check=True, capture_output=True, text=True)
        record_id = listed.stdout.splitlines()[1].split("\t")[0]
        rows = [
            ("python -c pass (the floor)", median_time([sys.executable, "-c", "pass"], env)),
            ("contacthub --help", median_time([contacthub, "--help"], env)),
            ("contacthub contact list", median_time([contacthub, "contact", "list"], env)),
            ("contacthub contact show ID", median_time([contacthub, "contact", "show", record_id], env)),
            ("contacthub sync status", median_time([contacthub, "sync", "status"], env)),
        ]
        try:
            khard = peer_tool(KHARD_VENV, "khard")
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"khard left out: it could not be installed ({exc})", file=sys.stderr)
            return rows
        book = root / "khard-book"
        book.mkdir()
        for i in range(n):
            (book / f"bench-{i:06d}.vcf").write_text(card(i), newline="")
        config = root / "khard.conf"
        config.write_text(f"[addressbooks]\n[[bench]]\npath = {book}\n\n[general]\ndefault_action = list\n")
        rows.append(("khard list (the peer)", median_time([str(khard), "-c", str(config), "list"], env)))
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def print_commands(n: int = 1000) -> None:
    print(f"N={n:,} records: whole-process times …", file=sys.stderr, flush=True)
    rows = measure(n)
    width = max(len(name) for name, _t in rows)
    # The machine's load moves every figure; the ratio to khard, measured in the same run, moves less.
    peer = next((t for name, t in rows if name.startswith("khard")), None)
    print(f"Everyday commands at {n:,} records (whole processes, median of {REPS} runs, wall clock)")
    print(f"{'command':<{width}}  {'ms':>6}  {'x khard':>7}  {'< 0.3 s':>7}")
    for name, seconds in rows:
        ratio = f"{seconds / peer:>7.2f}" if peer else f"{'-':>7}"
        goal = f"{'yes' if seconds < 0.3 else 'NO':>7}" if name.startswith("contacthub") else ""
        print(f"{name:<{width}}  {seconds * 1000:>6.0f}  {ratio}  {goal}".rstrip())
