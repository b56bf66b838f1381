"""GraphClient: plain `requests` calls to Microsoft Graph, with the hub's error rules.

- Every request carries a bearer token from `token(force)`; a 401 asks for a
  fresh token once and repeats the request.
- 429/503/504 are waited out after their Retry-After (or a short backoff) a
  bounded number of times; a longer wait, or too many, raises `Throttled`.
- Errors become typed connector errors with one line naming what failed
  (never the token, never the request headers).
- `batch()` sends JSON batches, checks each sub-response on its own and
  resends the sub-requests that were throttled inside a 200 batch.
- Requests in flight are bounded. By default (SharePoint lists): at most 4
  HTTP requests, batches of 20. With `subrequest_limit=N` (Outlook, one client
  per mailbox): at most N requests in flight counting every sub-request of a
  batch, so batches hold at most N and go one at a time. Outlook runs at most
  4 concurrent requests per app and mailbox and counts each sub-request of a
  batch (throttling-limits page, "Outlook service limits" and "... for JSON
  batching"; json-batching page: sub-requests are evaluated individually).
- Waits and retries are logged at debug level: the engine reports what
  finally failed, once.

TLS verification is always on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from contacthub.connector import AuthError, ConnectorError, NotFound, TargetError, Throttled, TokenExpired, WrongEtag

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
BATCH_LIMIT = 20  # Graph takes at most 20 requests in one $batch
MAX_IN_FLIGHT = 4  # HTTP requests in flight at once (batches of 20 for SharePoint lists)
MAILBOX_CONCURRENCY = 4  # Outlook: concurrent requests per app and mailbox, each batch sub-request counted
RETRY_STATUSES = (429, 503, 504)
MAX_RETRIES = 4
MAX_WAIT = 60.0  # seconds: a longer Retry-After is handed to the engine as Throttled
TIMEOUT = 60.0

TokenSource = Callable[[bool], str]  # token(force_refresh) -> access token


@dataclass
class Reply:
    """One answer: status, headers (lower-case names) and the parsed JSON body (or None)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error_code(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("code") or "") if isinstance(error, dict) else ""

    def error_message(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("message") or "").strip() if isinstance(error, dict) else ""

    def retry_after(self, attempt: int = 0) -> float:
        value = self.headers.get("retry-after", "")
        try:
            return max(0.0, float(value))
        except ValueError:
            return float(2**attempt)  # no usable Retry-After: exponential backoff


@dataclass
class SubRequest:
    """One request inside a $batch; `url` is relative to the Graph version root ("/me/...")."""

    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error_for(reply: Reply, what: str, permission: str = "") -> ConnectorError:
    """The typed error for a failed reply, in one line that names `what`."""
    code, message = reply.error_code(), reply.error_message()
    detail = f"{code}: {message}" if code and message else (code or message or f"HTTP {reply.status}")
    detail = " ".join(detail.split())[:300]
    if reply.status == 401:
        return AuthError(f"graph: {what}: the sign-in was refused ({detail}); run `contacthub auth login` again")
    if reply.status == 403:
        needs = f"; the account or app needs the {permission} permission" if permission else ""
        return AuthError(f"graph: {what}: access denied ({detail}){needs}")
    if reply.status == 404 or code in ("ErrorItemNotFound", "ErrorInvalidIdMalformed", "itemNotFound"):
        return NotFound(f"graph: {what}: not found ({detail})")
    if reply.status == 412 or code == "ErrorIrresolvableConflict":
        return WrongEtag(f"graph: {what}: changed since it was read ({detail})")
    if reply.status == 410 or code in ("SyncStateNotFound", "SyncStateInvalid", "resyncRequired"):
        return TokenExpired(f"graph: {what}: the change token has expired ({detail})")
    if reply.status in RETRY_STATUSES:
        return Throttled(f"graph: {what}: the service asks to slow down ({detail})", reply.retry_after())
    return TargetError(f"graph: {what}: HTTP {reply.status} ({detail})")


class Slots:
    """A counting gate: `taken(n)` waits until n of the limit are free (a batch takes one per sub-request)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._free = threading.Condition()

    @contextmanager
    def taken(self, n: int) -> Iterator[None]:
        n = min(max(n, 1), self.limit)
        with self._free:
            self._free.wait_for(lambda: self.used + n <= self.limit)
            self.used += n
        try:
            yield
        finally:
            with self._free:
                self.used -= n
                self._free.notify_all()


class GraphClient:
    """Graph calls for one signed-in account; `base` is the Graph version root (a setting, national clouds)."""

    def __init__(self, base: str, token: TokenSource, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = TIMEOUT,
                 subrequest_limit: int | None = None) -> None:
        self.base = base.rstrip("/")
        split = urlsplit(self.base)
        self._origin = f"{split.scheme}://{split.netloc}/"
        self._token = token
        self._session = session or requests.Session()
        self._session.verify = True  # never switched off
        self._sleep = sleep
        self._timeout = timeout
        self._subrequest_limit = subrequest_limit
        self._gate = Slots(subrequest_limit or MAX_IN_FLIGHT)
        self._lock = threading.Lock()
        self._access = ""

    def close(self) -> None:
        self._session.close()

    # -- single requests ------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else f"{self.base}{path}"

    def request(self, method: str, path: str, what: str, *, body: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        """One request, with token refresh and throttling handled; the reply may be any status."""
        return self._request(method, path, what, body, headers or {}, 1)

    def _request(self, method: str, path: str, what: str, body: Any, headers: dict[str, str], weight: int,
                 retries: int = MAX_RETRIES) -> Reply:
        """`weight`: the requests this one counts as against the limit in flight (a batch: its sub-requests)."""
        refreshed = False
        attempt = 0
        while True:
            reply = self._send(method, self.url(path), body, headers, what, refreshed, weight)
            if reply.status == 401 and not refreshed:
                refreshed = True  # the token may have expired or been revoked: one fresh one
                continue
            if reply.status in RETRY_STATUSES and attempt < retries:
                wait = reply.retry_after(attempt)
                if wait <= MAX_WAIT:
                    log.debug("graph: %s: HTTP %s, retrying in %.1f s", what, reply.status, wait)
                    self._sleep(wait)
                    attempt += 1
                    continue
            return reply

    def call(self, method: str, path: str, what: str, *, body: Any = None,
             headers: dict[str, str] | None = None, permission: str = "") -> Reply:
        """Like `request`, but a failed reply raises its typed error."""
        reply = self.request(method, path, what, body=body, headers=headers)
        if not reply.ok:
            raise error_for(reply, what, permission)
        return reply

    def pages(self, path: str, what: str, permission: str = "") -> Iterator[dict[str, Any]]:
        """Every page of a collection, following @odata.nextLink; the last page carries any deltaLink."""
        url: str | None = path
        seen: set[str] = set()
        while url:
            page = self.call("GET", url, what, permission=permission).body or {}
            yield page
            url = page.get("@odata.nextLink")
            if url in seen:
                raise TargetError(f"graph: {what}: the service repeats a page link")
            seen.add(url or "")

    def _send(self, method: str, url: str, body: Any, headers: dict[str, str], what: str, fresh: bool,
              weight: int = 1) -> Reply:
        if not url.startswith(self._origin):
            raise TargetError(f"graph: {what}: the service pointed outside {self.base}")  # never send the token elsewhere
        token = self._bearer(fresh)
        sent = {"Authorization": f"Bearer {token}", "Accept": "application/json", **headers}
        data = None
        if body is not None:
            sent["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        with self._gate.taken(weight):
            try:
                response = self._session.request(method, url, data=data, headers=sent, timeout=self._timeout)
            except requests.Timeout:
                raise TargetError(f"graph: {what}: no answer within {self._timeout:.0f} s") from None
            except requests.RequestException as exc:
                raise TargetError(f"graph: {what}: cannot reach {self.base} ({type(exc).__name__})") from None
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = None
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, parsed)

    def _bearer(self, fresh: bool) -> str:
        with self._lock:
            if fresh or not self._access:
                self._access = self._token(fresh)
            return self._access

    # -- $batch ---------------------------------------------------------------------

    def batch(self, requests_: list[SubRequest], what: str) -> list[Reply]:
        """Send sub-requests in JSON batches; one Reply per sub-request, in order.

        A sub-request throttled inside a 200 batch is resent after its
        Retry-After; one still throttled after that gets its 429 Reply back.
        A batch refused as a whole (429, 5xx, 400 …) is each of its
        sub-requests' answer, so every write gets its own failed result;
        only a refused sign-in (401, 403) is raised for the whole call.
        """
        replies: list[Reply | None] = [None] * len(requests_)
        pending = list(range(len(requests_)))
        size = min(BATCH_LIMIT, self._subrequest_limit or BATCH_LIMIT)
        parallel = max(1, (self._subrequest_limit or MAX_IN_FLIGHT * size) // size)  # batches in flight
        for attempt in range(MAX_RETRIES + 1):
            chunks = [pending[i : i + size] for i in range(0, len(pending), size)]
            if len(chunks) > 1 and parallel > 1:
                with ThreadPoolExecutor(max_workers=min(parallel, len(chunks))) as pool:
                    answers = list(pool.map(lambda c: self._one_batch([requests_[i] for i in c], what), chunks))
            else:
                answers = [self._one_batch([requests_[i] for i in c], what) for c in chunks]
            throttled: list[int] = []
            wait = 0.0
            for chunk, answer in zip(chunks, answers, strict=True):
                for index, reply in zip(chunk, answer, strict=True):
                    replies[index] = reply
                    if reply.status in RETRY_STATUSES:
                        throttled.append(index)
                        wait = max(wait, reply.retry_after(attempt))
            if not throttled or attempt == MAX_RETRIES or wait > MAX_WAIT:
                break
            log.debug("graph: %s: %d of the batch throttled, retrying in %.1f s", what, len(throttled), wait)
            self._sleep(wait)
            pending = throttled
        return [r for r in replies if r is not None]

    def _one_batch(self, subs: list[SubRequest], what: str) -> list[Reply]:
        body = {"requests": [_sub_json(str(i + 1), sub) for i, sub in enumerate(subs)]}
        # No retries here: a throttled batch is resent with its sub-requests by batch().
        reply = self._request("POST", "/$batch", what, body, {}, len(subs) if self._subrequest_limit else 1, retries=0)
        if reply.status in (401, 403):
            raise error_for(reply, what)
        if not reply.ok:
            return [reply] * len(subs)
        answers = {}
        for item in (reply.body or {}).get("responses", []):
            if isinstance(item, dict) and "id" in item:
                headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
                answers[str(item["id"])] = Reply(int(item.get("status", 0)), headers, item.get("body"))
        missing = [str(i + 1) for i in range(len(subs)) if str(i + 1) not in answers]
        if missing:
            raise TargetError(f"graph: {what}: the batch answer lacks {len(missing)} of {len(subs)} responses")
        return [answers[str(i + 1)] for i in range(len(subs))]


def _sub_json(ident: str, sub: SubRequest) -> dict[str, Any]:
    data: dict[str, Any] = {"id": ident, "method": sub.method, "url": sub.url}
    headers = dict(sub.headers)
    if sub.body is not None:
        headers["Content-Type"] = "application/json"
        data["body"] = sub.body
    if headers:
        data["headers"] = headers
    return data


def query(params: dict[str, str]) -> str:
    """A query string Graph reads: OData's $ and parentheses kept, spaces and quotes encoded."""
    from urllib.parse import quote

    safe = "$,()=/:"
    return "?" + "&".join(f"{k}={quote(str(v), safe=safe)}" for k, v in params.items())


def segment(value: str) -> str:
    """One path segment: an id is never allowed to add path steps ("a/b", "..")."""
    from urllib.parse import quote

    return quote(value, safe="")
