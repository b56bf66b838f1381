"""contacthub beside vdirsyncer at scale on a .vcf folder: `python bench/scale.py [--sizes 1000,10000,100000]`.

Not a test: nothing is asserted. Per size N, in a fresh temp dir, every step is a
whole process of its own (so its peak RSS is its own), timed from outside with
os.wait4 (the child's own rusage: CPU = user + system, peak RSS = ru_maxrss):

- contacthub (this venv, `python -m contacthub`, CONTACTHUB_HOME in the temp dir):
  `import` of one N-card .vcf file into a new SQLite database, the same import
  again (I1: all "unchanged"), `sync start vcf:FOLDER --create` (the first sync:
  N files), `sync run` with nothing changed, `sync run` after 1 % of the records
  were edited in the database (by an untimed child), `contact list --json`.
- vdirsyncer (its own venv, bench/.venv-vdirsyncer, made on first use): a
  filesystem -> filesystem pair from a folder of the same N cards to an empty
  folder; `discover` untimed, then `sync` (first sync), `sync` (no change),
  `sync` after 1 % of the source files were rewritten.

The bench process itself imports nothing of contacthub and stays small: on Linux
a child's ru_maxrss starts from the forking parent's resident size.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-vdirsyncer"
SHARE = 100  # 1 % changed

VDIRSYNCER_CONFIG = """[general]
status_path = "{root}/status/"

[pair bench]
a = "bench_src"
b = "bench_dst"
collections = null
conflict_resolution = "a wins"

[storage bench_src]
type = "filesystem"
path = "{root}/src/"
fileext = ".vcf"

[storage bench_dst]
type = "filesystem"
path = "{root}/dst/"
fileext = ".vcf"
"""

# Run in a contacthub child (untimed): edit every 100th record, as a user would one by one.
EDIT_ONE_PERCENT = """
from contacthub.cli.context import Hub
db = Hub().database()
with db.transaction() as tx:
    for record_id in tx.records.ids()[::%d]:
        record = tx.records.get(record_id)
        tx.records.update(record_id, record.contact.copy(note=record.contact.note + " (edited)"))
"""


def card(i: int, note: str = "benchmark contact (generated)") -> str:
    """A ~450-byte vCard 3.0 card: name, company, title, two e-mails, two phones, an address, a note."""
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"UID:scale-{i:07d}\r\nFN:Person {i:07d} Bench\r\nN:Bench;Person {i:07d};;;\r\n"
        f"ORG:Company {i % 997}\r\nTITLE:Account Manager\r\n"
        f"EMAIL;TYPE=work:person.{i:07d}@example.com\r\nEMAIL;TYPE=home:p{i:07d}@home.example.org\r\n"
        f"TEL;TYPE=work:+47 22 {i:07d}\r\nTEL;TYPE=cell:+47 9 {i:07d}\r\n"
        f"ADR;TYPE=work:;;Storgata {i % 200 + 1};Oslo;;{i % 9000 + 1000};Norway\r\n"
        f"NOTE:{note}\r\nEND:VCARD\r\n"
    )


def measured(command: list[str], env: dict[str, str], log: Path, stdout: Path | None = None) -> dict:
    """Run one whole process; its wall s, CPU s (user + system) and peak RSS MB."""
    with log.open("ab") as err, (stdout.open("wb") if stdout else log.open("ab")) as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} exited {code}:\n{log.read_text(errors='replace')[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def contacthub_size(n: int, root: Path) -> dict[str, dict]:
    root.mkdir()
    env = {**os.environ, "CONTACTHUB_HOME": str(root / "hub-home")}
    env.pop("CONTACTHUB_CONFIG", None)
    hub = [sys.executable, "-m", "contacthub"]
    log = root / "contacthub.log"
    export = root / "export.vcf"
    with export.open("w", encoding="utf-8", newline="") as out:
        for i in range(n):
            out.write(card(i))
    rows = {"import": measured([*hub, "import", str(export)], env, log)}
    rows["import again (all unchanged)"] = measured([*hub, "import", str(export)], env, log)
    rows["first sync"] = measured([*hub, "sync", "start", f"vcf:{root / 'hub-vcf'}", "--create"], env, log)
    rows["no-change pass"] = measured([*hub, "sync", "run"], env, log)
    subprocess.run([sys.executable, "-c", EDIT_ONE_PERCENT % SHARE], env=env, check=True)
    rows["1 % changed pass"] = measured([*hub, "sync", "run"], env, log)
    listing = root / "list.json"
    rows["contact list --json"] = measured([*hub, "contact", "list", "--json"], env, log, stdout=listing)
    assert listing.read_text(encoding="utf-8").count('"uid": "scale-') == n  # every record, once
    return rows


def vdirsyncer_size(n: int, root: Path) -> dict[str, dict]:
    from peer_venv import peer_tool

    peer_tool(VENV, "vdirsyncer")
    src, dst = root / "src", root / "dst"
    root.mkdir()
    src.mkdir()
    dst.mkdir()
    for i in range(n):
        (src / f"scale-{i:07d}.vcf").write_text(card(i), encoding="utf-8", newline="")
    config = root / "vdirsyncer.conf"
    config.write_text(VDIRSYNCER_CONFIG.format(root=root), encoding="utf-8")
    vds = [str(VENV / "bin" / "vdirsyncer"), "-c", str(config)]
    log = root / "vdirsyncer.log"
    env = dict(os.environ)
    subprocess.run([*vds, "discover"], env=env, check=True, capture_output=True)
    rows = {"first sync": measured([*vds, "sync"], env, log)}
    rows["no-change pass"] = measured([*vds, "sync"], env, log)
    for i in range(0, n, SHARE):
        (src / f"scale-{i:07d}.vcf").write_text(card(i, "benchmark contact (edited)"), encoding="utf-8", newline="")
    rows["1 % changed pass"] = measured([*vds, "sync"], env, log)
    assert len(list(dst.iterdir())) == n
    return rows


def print_table(results: list[tuple[int, dict, dict]]) -> None:
    head = ["N", "step", "hub CPU s", "hub wall s", "hub RSS MB", "vds CPU s", "vds wall s", "vds RSS MB", "CPU hub/vds", "RSS hub/vds"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n, hub, vds in results:
        for step, h in hub.items():
            v = vds.get(step)
            cells = [f"{n:,}", step, f"{h['cpu']:.2f}", f"{h['wall']:.2f}", f"{h['rss']:.0f}"]
            if v:
                cells += [f"{v['cpu']:.2f}", f"{v['wall']:.2f}", f"{v['rss']:.0f}", f"{h['cpu'] / v['cpu']:.2f}", f"{h['rss'] / v['rss']:.2f}"]
            else:
                cells += ["—"] * 5
            print("| " + " | ".join(cells) + " |")
    if len(results) > 1:
        print()
        print("Growth (CPU per 1,000 cards, by size): linear work keeps it level.")
        for step in results[0][1]:
            per = ", ".join(f"{n:,}: {hub[step]['cpu'] / n * 1000:.2f} s" for n, hub, _ in results)
            print(f"- contacthub {step}: {per}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of cards (100000 takes ~30 min)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (their logs) and print where")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at start", file=sys.stderr)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        root = Path(tempfile.mkdtemp(prefix=f"contacthub-scale-{n}-"))
        try:
            print(f"N={n:,}: contacthub …", file=sys.stderr, flush=True)
            hub = contacthub_size(n, root / "hub")
            print(f"N={n:,}: vdirsyncer …", file=sys.stderr, flush=True)
            vds = vdirsyncer_size(n, root / "vds")
            results.append((n, hub, vds))
        finally:
            if args.keep:
                print(f"kept {root}", file=sys.stderr)
            else:
                shutil.rmtree(root, ignore_errors=True)
    end = os.getloadavg()
    print(f"Load average (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at start, "
          f"{end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f} at the end; {os.cpu_count()} CPUs.")  # fmt: skip
    print()
    print_table(results)


if __name__ == "__main__":
    main()
