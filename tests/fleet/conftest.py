"""Fleet fixtures: a PostgreSQL schema per test, real brokers (Redis, RabbitMQ), real Celery workers.

Brokers: skipped when one does not answer on this machine, a failure under CI=true.
Each test has its own queue (CONTACTHUB_QUEUE), so a message left by one test
never reaches another's workers; processes it starts are stopped at teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fleet_brokers import broker_url

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE.parent / "store"), str(HERE.parent / "connectors" / "carddav")]


@pytest.fixture(params=["redis", "amqp"])
def broker(request) -> str:
    return broker_url(request.param)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    from carddav_servers import start_radicale

    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


class Fleet:
    """One test's fleet: a CONTACTHUB_HOME whose current database is a fresh PostgreSQL schema, and its processes."""

    def __init__(self, home: Path, url: str, broker: str) -> None:
        self.home, self.url, self.broker = home, url, broker
        self.queue = f"t_{uuid.uuid4().hex[:10]}"
        self.processes: list[subprocess.Popen] = []
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(
            f'current_database = "fleet"\n[databases.fleet]\nurl = "{url}"\n', encoding="utf-8"
        )
        self.env = {**os.environ, "CONTACTHUB_HOME": str(home), "CONTACTHUB_BROKER": broker,
                    "CONTACTHUB_QUEUE": self.queue, "CONTACTHUB_FLEET_BACKOFF": "30"}  # fmt: skip
        for name in ("CONTACTHUB_CONFIG", "CONTACTHUB_LOAD_PLUGINS"):
            self.env.pop(name, None)
        self._db = None

    @property
    def db(self):
        if self._db is None:
            from contacthub.store import open_database

            self._db = open_database(self.url)
        return self._db

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "contacthub", *args], env=self.env, capture_output=True, text=True, timeout=120)
        if ok:
            assert done.returncode == 0, f"contacthub {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done

    def start(self, name: str, *args: str) -> subprocess.Popen:
        """`contacthub ARGS` in the background (its own process group), output to HOME/NAME.log."""
        log = open(self.home / f"{name}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "contacthub", *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.processes.append(proc)
        return proc

    def worker(self, name: str, concurrency: int = 1) -> subprocess.Popen:
        return self.start(name, "worker", "-c", str(concurrency), "--loglevel=info", "-n", f"{name}-{self.queue}@%h",
                          "--without-mingle", "--without-gossip", "--without-heartbeat")  # fmt: skip

    def scheduler(self, name: str, interval: float = 3600, poll: float = 120) -> subprocess.Popen:
        return self.start(name, "scheduler", "--interval", str(interval), "--poll", str(poll))

    def send(self, target: str) -> None:
        """Queue one pass by hand, as the scheduler does."""
        from celery import Celery

        app = Celery(broker=self.broker)
        try:
            app.send_task("contacthub.fleet.run_target_pass", args=[target], queue=self.queue)
        finally:
            app.close()

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self._db is not None:
            self._db.dispose()
        self._drop_queue()

    def _drop_queue(self) -> None:
        from kombu import Connection

        try:
            with Connection(self.broker, connect_timeout=3) as conn:
                channel = conn.channel()
                channel.queue_delete(self.queue)
        except Exception:  # noqa: BLE001 - best effort: a broker gone at teardown leaves one empty queue
            pass


@pytest.fixture
def fleet_factory(pg_server, tmp_path):
    made: list[Fleet] = []

    def make(broker: str) -> Fleet:
        fleet = Fleet(tmp_path / f"home{len(made)}", pg_server.schema_url(), broker)
        made.append(fleet)
        return fleet

    yield make
    for fleet in made:
        fleet.stop()
