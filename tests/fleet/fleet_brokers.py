"""The fleet tests' brokers and polling, imported by their conftest and tests by this module's own name
(`from conftest import …` gets whichever test folder's conftest was imported first)."""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Fleet

BROKERS = {"redis": "redis://127.0.0.1:6379/0", "amqp": "amqp://guest:guest@127.0.0.1:5672//"}


def _answers(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def broker_url(kind: str) -> str:
    url = BROKERS[kind]
    if not _answers(url):
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"the {kind} broker at {url.split('@')[-1]} does not answer; in CI it must run", pytrace=False)
        pytest.skip(f"no {kind} broker answers at {url.split('@')[-1]}")
    return url



def wait_for(check, timeout: float, what: str, fleet: Fleet | None = None, interval: float = 0.1):
    """Poll `check()` until it returns something true; fail naming `what` (and the processes' logs) after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    logs = ""
    if fleet is not None:
        logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in fleet.home.glob("*.log"))
        logs += "\n--- fleet status\n" + fleet.cli("fleet", "status", "--json", ok=False).stdout
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")
