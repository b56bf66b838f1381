"""The web app under test: a real uvicorn on 127.0.0.1 (a free port) in a thread, over the test's own
CONTACTHUB_HOME (SQLite), and Playwright driving Debian's chromium (/work/shared/tools/browser-tests.md)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "contacts.vcf"
PHONE, DESK = {"width": 360, "height": 800}, {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:  # skip on a dev box without it, but fail under CI
        message = "chromium not found: apt-get install -y chromium"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}  # the sales trip: a phone's width


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """uvicorn serving the app in a daemon thread; `url` is its base address."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def web(home):
    """The web app on loopback (no login), over this test's CONTACTHUB_HOME."""
    from contacthub.services.hub import Workspace
    from contacthub.web.app import create_app

    served = Served(create_app(Workspace(), secret_key="test-only-key"))
    yield served
    served.stop()


@pytest.fixture
def phone(tmp_path, run) -> Path:
    """The example contacts and Nick, synced to a fresh .vcf folder (the phone)."""
    folder = tmp_path / "phone"
    run("import", str(EXAMPLES))
    run("contact", "add", "--name", "Nick Nolte", "--company", "Nolte Haulage", "--email", "nick@nolte.example")
    run("sync", "start", f"vcf:{folder}", "--create")
    return folder


@pytest.fixture
def shot():
    """shot(page, name): a full-page screenshot, named by page and width, into tests/web/screenshots/."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
