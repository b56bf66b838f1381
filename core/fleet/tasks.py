"""The fleet's Celery tasks: one pass of one target (passes.py holds the rules)."""

from __future__ import annotations

import logging

from contacthub.fleet.celery_app import app
from contacthub.fleet.passes import FleetEnv, PutOff, give_up
from contacthub.fleet.passes import run_target_pass as _run

log = logging.getLogger("contacthub.fleet")

MAX_PUT_OFF = 300  # tries while another pass holds the target (about 10 minutes), then the claim is dropped

_env: FleetEnv | None = None


def reset_env() -> None:
    """A new pool process opens its own database (connections must not cross a fork)."""
    global _env
    _env = None


def env() -> FleetEnv:
    global _env
    if _env is None:
        _env = FleetEnv()
    return _env


@app.task(name="contacthub.fleet.run_target_pass", bind=True, max_retries=MAX_PUT_OFF)
def run_target_pass(self, target_name: str) -> str:
    """One pass of the fleet target `target_name`, both ways; its outcome is kept in fleet_targets."""
    try:
        return _run(env(), target_name)
    except PutOff as exc:
        if self.request.retries >= MAX_PUT_OFF:
            give_up(env(), target_name)
            return "put-off"
        # Another pass holds it: queue this one again (the worker is free meanwhile), quietly.
        raise self.retry(countdown=exc.countdown) from None
