"""Outlook's concurrency limit per app and mailbox, as the fake mailbox enforces it.

Microsoft Graph throttling-limits page, "Outlook service limits": Outlook runs
at most 4 concurrent requests per app and mailbox; "Outlook service limits for
JSON batching": a batch's sub-requests run in parallel unless chained with
dependsOn, so a batch counts as one request per sub-request. json-batching
page, "Batch size limitations": sub-requests are evaluated individually
against the limits and each one over it fails with 429 inside a 200 batch
(throttling page, "Throttling and batching"), with its own Retry-After.

`strict=False` is a mailbox that takes any number at once (the bench compares
both). `service_time` (seconds) is how long the mailbox holds a request: a
batch's admitted sub-requests run 4 at a time, as the JSON batching limits say.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter

LIMIT = 4
RETRY_AFTER = "1"  # seconds; Graph sends small values for a concurrency refusal


def throttled_answer() -> tuple[int, dict, dict]:
    """The 429 Outlook gives for one request over the mailbox's concurrency limit (its error envelope)."""
    body = {
        "error": {
            "code": "ApplicationThrottled",
            "message": "Application is over its MailboxConcurrency limit.",
            "innerError": {"date": "2025-02-13T10:17:05", "request-id": "5d7c0c1e-5b0b-4a36-9c2b-7f9c1d2b7a10",
                           "client-request-id": "5d7c0c1e-5b0b-4a36-9c2b-7f9c1d2b7a10"},
        }
    }  # fmt: skip
    return 429, {"Content-Type": "application/json", "Retry-After": RETRY_AFTER}, body


class MailboxLimit:
    def __init__(self, strict: bool = True, service_time: float = 0.0) -> None:
        self.strict = strict
        self.service_time = service_time
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()  # the most requests in flight seen per mailbox
        self.refused = 0  # requests refused for concurrency
        self._lock = threading.Lock()

    def admit(self, mailboxes: list[str]) -> list[bool]:
        """Which of these requests (one mailbox each, arriving together) may run; the admitted count as in flight."""
        admitted = []
        with self._lock:
            for mailbox in mailboxes:
                ok = not self.strict or self.in_flight[mailbox] < LIMIT
                if ok:
                    self.in_flight[mailbox] += 1
                    self.most[mailbox] = max(self.most[mailbox], self.in_flight[mailbox])
                else:
                    self.refused += 1
                admitted.append(ok)
        return admitted

    def work(self, count: int) -> None:
        """The time `count` admitted requests of one HTTP request take (4 run at once)."""
        if self.service_time and count:
            time.sleep(self.service_time * math.ceil(count / LIMIT))

    def release(self, mailboxes: list[str]) -> None:
        with self._lock:
            self.in_flight.subtract(mailboxes)
