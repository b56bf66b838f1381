"""A batch of writes (PUT/DELETE), a few in flight at once, results in request order.

A server answers one write while the hub prepares and sends the next: the
client's work (building the card, HTTP) overlaps the server's. Each worker
thread talks through its own session (`Dav.client` is per thread).

The batch rules are those of the sequential loop:
- a per-item error (WrongEtag, NotFound, a bad card …) is that item's result;
- an error that is about the whole batch (`fatal`: auth, throttled,
  unreachable) stops it: requests not sent yet get that error as their result,
  those already sent keep their own outcome;
- when nothing in the batch was done (every item failed with the fatal error
  or was never sent) the fatal error is raised, so the caller may retry the
  batch whole, as with the first item of the sequential loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor

from contacthub.connector import ConnectorError, Result, WriteRequest

DEFAULT_WRITERS = 1  # writes in flight at once unless the target sets option write_concurrency
MAX_WRITERS = 8


def write_all(
    requests: Sequence[WriteRequest],
    one: Callable[[WriteRequest], object],
    workers: int,
    fatal: tuple[type[ConnectorError], ...],
    pool: Callable[[int], Executor] | None = None,
) -> list[Result]:
    """Results for `requests` in their order; `pool(workers)` gives the (long-lived) worker threads."""
    if workers <= 1 or len(requests) <= 1:
        return _sequential(requests, one, fatal)
    stop: list[ConnectorError] = []  # the first fatal error, once there is one
    lock = threading.Lock()

    def send(request: WriteRequest) -> Result:
        with lock:
            if stop:
                return Result(request, error=stop[0])  # not sent: the server refuses them all
        try:
            return Result(request, ref=one(request))
        except fatal as exc:
            with lock:
                if not stop:
                    stop.append(exc)
            return Result(request, error=exc)
        except ConnectorError as exc:
            return Result(request, error=exc)

    workers = min(workers, MAX_WRITERS)
    if pool is not None:
        results = list(pool(workers).map(send, requests))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carddav-write") as own:
            results = list(own.map(send, requests))
    if stop and all(isinstance(r.error, fatal) for r in results):
        raise stop[0]  # nothing was done in this call: the caller may retry it whole
    return results


def _sequential(
    requests: Sequence[WriteRequest], one: Callable[[WriteRequest], object], fatal: tuple[type[ConnectorError], ...]
) -> list[Result]:
    results: list[Result] = []
    stop: ConnectorError | None = None
    for request in requests:
        if stop is not None:
            results.append(Result(request, error=stop))  # not sent: the server refuses them all
            continue
        try:
            results.append(Result(request, ref=one(request)))
        except fatal as exc:
            if not results:
                raise  # nothing was done in this call: the caller may retry it whole
            stop = exc
            results.append(Result(request, error=exc))
        except ConnectorError as exc:
            results.append(Result(request, error=exc))
    return results
