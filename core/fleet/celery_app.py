"""The Celery app the fleet's workers and scheduler share (`celery -A contacthub.fleet.celery_app worker`).

The broker comes from CONTACTHUB_BROKER (default: the local Redis): a broker
URL carries its password, so it is read from the environment (a systemd
EnvironmentFile), never from the config file. Redis and RabbitMQ both work.

Delivery rules (issue 17's guarantees):
- task_acks_late + task_reject_on_worker_lost: a pass is acknowledged when it
  ends; a worker killed mid-pass hands the message back and it runs again (the
  engine resumes the pass: every step is committed on its own, S12);
- worker_prefetch_multiplier = 1: a worker holds no queued passes it cannot
  start yet, so a slow target never sits on others' passes;
- no result backend: how a pass ended is kept in the database (fleet status).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "contacthub"

app = Celery("contacthub", broker=os.environ.get("CONTACTHUB_BROKER") or DEFAULT_BROKER, include=["contacthub.fleet.tasks"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue=os.environ.get("CONTACTHUB_QUEUE") or DEFAULT_QUEUE,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    # Redis only: an unacknowledged pass of a worker that vanished is handed out again after this long.
    broker_transport_options={"visibility_timeout": int(os.environ.get("CONTACTHUB_VISIBILITY_TIMEOUT", "3600"))},
    worker_hijack_root_logger=False,
)


@worker_process_init.connect
def _fresh_process(**_kwargs) -> None:
    """Each pool process: owner-only files (U5), and its own database connections (none inherited over fork)."""
    os.umask(0o077)
    from contacthub.fleet import tasks

    tasks.reset_env()


@worker_ready.connect
def _serve_metrics(**_kwargs) -> None:
    """`contacthub worker --metrics-port N`: the main process serves /metrics (the pool processes' sums, metrics.py).

    Started once the pool has forked: a fork during a scrape's first imports would leave the
    child waiting on a lock the scrape thread held (seen: passes received, never run)."""
    port = os.environ.get("CONTACTHUB_METRICS_PORT")
    if port:
        from contacthub.fleet.metrics import serve
        from contacthub.fleet.passes import FleetEnv

        env = FleetEnv()
        serve(int(port), lambda: env.db, multiprocess=True, addr=os.environ.get("CONTACTHUB_METRICS_HOST", "127.0.0.1"))


@worker_process_shutdown.connect
def _process_gone(pid=None, **_kwargs) -> None:
    from contacthub.fleet.metrics import process_gone

    process_gone(pid or os.getpid())
