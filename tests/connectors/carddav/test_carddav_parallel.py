"""write_all: a few writes in flight, the sequential loop's batch rules kept (no server needed)."""

from __future__ import annotations

import threading
import time

import pytest

from contacthub.connector import AuthError, RemoteRef, WriteRequest, WrongEtag
from contacthub.connectors.carddav.dav import Unreachable
from contacthub.connectors.carddav.parallel import write_all

FATAL = (AuthError, Unreachable)


def requests(n: int) -> list[WriteRequest]:
    return [WriteRequest(contact=None, marker=None, remote_id=f"/b/{i}.vcf", etag="") for i in range(n)]


@pytest.mark.parametrize("workers", [1, 4])
def test_results_in_request_order_with_per_item_errors(workers):
    def one(request):
        time.sleep(0.001 * (hash(request.remote_id) % 5))
        if request.remote_id.endswith("/3.vcf"):
            raise WrongEtag("changed")
        return RemoteRef(request.remote_id, "e", None)

    results = write_all(requests(10), one, workers, FATAL)
    assert [r.request.remote_id for r in results] == [f"/b/{i}.vcf" for i in range(10)]
    assert [r.ok for r in results] == [i != 3 for i in range(10)]
    assert isinstance(results[3].error, WrongEtag)


@pytest.mark.parametrize("workers", [1, 4])
def test_nothing_done_raises_so_the_batch_may_be_retried_whole(workers):
    def one(request):
        raise AuthError("refused")

    with pytest.raises(AuthError):
        write_all(requests(6), one, workers, FATAL)


def test_a_fatal_error_after_some_writes_stops_the_rest_and_keeps_what_was_done():
    sent = []
    lock = threading.Lock()

    def one(request):
        with lock:
            sent.append(request.remote_id)
        if request.remote_id.endswith("/2.vcf"):
            raise Unreachable("gone")
        time.sleep(0.01)
        return RemoteRef(request.remote_id, "e", None)

    results = write_all(requests(40), one, 3, FATAL)
    assert len(sent) < 40  # the writes after the failure were not sent
    assert any(r.ok for r in results)
    for result in results:
        assert result.ok == (result.request.remote_id in sent and not result.request.remote_id.endswith("/2.vcf"))
        if not result.ok:
            assert isinstance(result.error, Unreachable)


def test_worker_threads_use_their_own_session():
    from contacthub.connectors.carddav.dav import Dav

    dav = Dav("http://127.0.0.1:9/", "u", "p")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(dav.client))
    thread.start()
    thread.join()
    assert seen[0] is not dav.client and dav.client is dav.client
    dav.close()
