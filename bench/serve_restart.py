"""How long `contacthub serve`'s Radicale outlives a SIGKILLed hub, and how soon a restart listens.

    python bench/serve_restart.py [--runs 3]

Each run: a fresh CONTACTHUB_HOME, `contacthub serve` on a free port, a "phone"
half-way through sending a request (Radicale would finish it first on SIGTERM),
then SIGKILL to the hub. Printed: seconds until the Radicale process is gone,
and seconds until `contacthub serve` started again on the same port says it runs.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(env: dict[str, str], port: int) -> tuple[subprocess.Popen, int | None]:
    """`contacthub serve`, read until it runs (or ends); returns it and its Radicale's pid."""
    process = subprocess.Popen([sys.executable, "-m", "contacthub", "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)  # fmt: skip
    output = ""
    for line in process.stdout:  # type: ignore[union-attr]
        output += line
        if "stops" in line:
            break
    found = re.search(r"Radicale is running \(process (\d+)\)", output)
    return process, int(found.group(1)) if found else None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def one_run() -> tuple[float, float, bool]:
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as home:
        env = {**os.environ, "CONTACTHUB_HOME": home}
        port = free_port()
        hub, radicale = start(env, port)
        phone = socket.create_connection(("127.0.0.1", port))
        phone.sendall(b"PROPFIND /contacthub/business/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        killed = time.monotonic()
        hub.kill()
        hub.wait()
        while radicale and alive(radicale) and time.monotonic() - killed < 60:
            time.sleep(0.005)
        gone = time.monotonic() - killed
        again, pid = start(env, port)
        listening = time.monotonic() - killed
        again.terminate()
        again.wait(timeout=30)
        phone.close()
        return gone, listening, pid is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(f"{'run':>3}  {'Radicale gone s':>15}  {'restart runs s':>14}  restart ok")
    for n in range(1, runs + 1):
        gone, listening, ok = one_run()
        print(f"{n:>3}  {gone:>15.3f}  {listening:>14.2f}  {'yes' if ok else 'NO (could not listen)'}")


if __name__ == "__main__":
    main()
