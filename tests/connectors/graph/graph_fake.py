"""A fake Outlook mailbox behind `responses`: Graph's contact folders, contacts, delta and $batch.

Answers are shaped like the published Graph JSON (contact resource, delta rows
with @removed, @odata.nextLink / @odata.deltaLink paging, $batch responses,
the error envelope). Nothing reaches the network: any other URL fails.

Links are spelt as Graph spells them, not as the client asked: a deltaLink is
``{root}/users('{user guid}')/contactFolders('{folder id}')/contacts/delta?$deltatoken=...``
(contact-delta and delta-query-messages pages); path segment names are
case-insensitive and key segments (``contactFolders('id')``) are understood.
A delta token the service never wrote is refused with 400, one it no longer
knows (expired, or dropped from its cache) with 410 Gone, SyncStateNotFound.

Outlook's concurrency limit is enforced (mailbox_limit.py): at most 4 requests
in flight per mailbox, each batch sub-request counted; the excess gets 429
ApplicationThrottled with a Retry-After (inside the batch for sub-requests).
`limit.most` / `limit.refused` say what the client did.

Failure injection: `throttle_subrequests(n)` (429 inside a 200 batch),
`fail_batches(n, status)` (the next n $batch requests refused as a whole),
`expire_tokens()` (delta links answer 410), `revoke_token()` (next request 401),
`forget_deletes_after_token` (a copy created after a delta link and deleted since
is left out of that link's changes, as Exchange may do).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import responses
from mailbox_limit import MailboxLimit, throttled_answer

from contacthub.connectors.graph.mapping import to_graph
from contacthub.model import Contact

BASE = "https://graph.microsoft.com/v1.0"
TOKEN = "fake-access-token-3f9c2a7e41d8"


def graph_error(status: int, code: str, message: str) -> tuple[int, dict, dict]:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2025-02-13T10:17:05", "request-id": "93b6f17e-c05d-4f45-ad2a-6665c708d8a0",
                           "client-request-id": "e70c5c1b-8b47-68c0-3171-3d22f5e0bd54"},
        }
    }  # fmt: skip
    return status, {"Content-Type": "application/json"}, body


NOT_FOUND = (404, "ErrorItemNotFound", "The specified object was not found in the store.")


class FakeGraph:
    def __init__(self, base: str = BASE, page_size: int = 3, strict: bool = True, service_time: float = 0.0) -> None:
        self.base = base
        self.page_size = page_size
        self.limit = MailboxLimit(strict, service_time)  # Outlook's 4 requests in flight per mailbox
        self.owners: dict[str, dict[str, dict]] = {}  # owner -> folder id -> {"displayName", "contacts"}
        self.log: list[tuple[str, str]] = []  # (folder id, contact id) touched, in order: delta positions
        self.created_at: dict[str, int] = {}  # contact id -> log position when created
        self.epoch = 0
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request, sub-requests included
        self.batches: list[int] = []  # sub-requests per $batch
        self.http: list[tuple[str, str]] = []  # (method, URL) of every HTTP request (a $batch counts once)
        self.seen_headers: list[dict[str, str]] = []
        self.forget_deletes_after_token = False
        self._throttle = 0
        self._throttle_after = "1"
        self._fail_batches: tuple[int, int, str, str] = (0, 503, "", "")
        self._revoked = False
        self._ids = itertools.count(1)
        self._pages: dict[str, tuple[list, int]] = {}  # skiptoken -> rows still to send, log position
        self._issued: set[str] = set()  # delta tokens handed out
        self._user_ids: dict[str, str] = {}  # owner -> the user's GUID, as Graph spells it in links
        self._lock = threading.RLock()
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in ("GET", "POST", "PATCH", "DELETE"):
            self.mock.add_callback(method, re.compile(re.escape(base) + r"/.*"), callback=self._http, content_type="application/json")

    def __enter__(self) -> FakeGraph:
        self.mock.start()
        return self

    def __exit__(self, *exc) -> None:
        self.mock.stop()
        self.mock.reset()

    # -- failure injection --------------------------------------------------------

    def throttle_subrequests(self, count: int, retry_after: str = "1") -> None:
        self._throttle = count
        self._throttle_after = retry_after

    def fail_batches(self, count: int, status: int = 503, code: str = "serviceNotAvailable",
                     message: str = "The service is temporarily unavailable.") -> None:
        """The next `count` $batch requests are refused as a whole (Graph errors page: 503, 504, 500 …)."""
        self._fail_batches = (count, status, code, message)

    def expire_tokens(self) -> None:
        self.epoch += 1

    def revoke_token(self) -> None:
        self._revoked = True

    def user_id(self, owner: str) -> str:
        return self._user_ids.setdefault(owner, str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-graph-user:{owner}")))

    def _owner(self, segment: str) -> str:
        """users/{id | userPrincipalName} or users('{id}'): the owner key (GUIDs map back to their owner)."""
        key = segment.strip("'")
        return next((owner for owner, guid in self._user_ids.items() if guid == key), key)

    # -- the user in Outlook --------------------------------------------------------

    def folder_id(self, name: str, owner: str = "me") -> str:
        return next(fid for fid, f in self.owners.get(owner, {}).items() if f["displayName"] == name)

    def contacts(self, folder: str, owner: str = "me") -> dict[str, dict]:
        return self.owners[owner][self.folder_id(folder, owner)]["contacts"]

    def user_create(self, folder: str, contact: Contact, owner: str = "me") -> str:
        with self._lock:
            fid = self.folder_id(folder, owner)
            return self._create(self.owners[owner][fid], fid, _clean(to_graph(contact)))

    def user_edit(self, folder: str, contact_id: str, **properties: Any) -> None:
        """Change Graph properties of a contact, as Outlook would (extended properties are kept)."""
        with self._lock:
            item = self.contacts(folder)[contact_id]
            item.update(properties)
            self._touch(self.folder_id(folder), item)

    def user_delete(self, folder: str, contact_id: str) -> None:
        with self._lock:
            del self.contacts(folder)[contact_id]
            self.log.append((self.folder_id(folder), contact_id))

    # -- HTTP ----------------------------------------------------------------------------

    def _http(self, request) -> tuple[int, dict, str]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.seen_headers.append(headers)
        self.http.append((request.method, unquote(request.url)))
        if headers.get("authorization") != f"Bearer {TOKEN}" or self._revoked:
            self._revoked = False
            status, hdrs, body = graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
            return status, hdrs, json.dumps(body)
        split = urlsplit(request.url)
        path = split.path[len(urlsplit(self.base).path):]
        body = json.loads(request.body) if request.body else None
        if request.method == "POST" and path == "/$batch":
            count, status, code, message = self._fail_batches
            if count > 0:
                self._fail_batches = (count - 1, status, code, message)
                status, hdrs, answer = graph_error(status, code, message)
                return status, hdrs, json.dumps(answer)
            return 200, {"Content-Type": "application/json"}, json.dumps(self._batch(body))
        mailbox = [self._mailbox(path)]
        if not self.limit.admit(mailbox)[0]:
            status, hdrs, answer = throttled_answer()
            return status, hdrs, json.dumps(answer)
        try:
            self.limit.work(1)
            status, hdrs, answer = self._route(request.method, path, split.query, headers, body)
        finally:
            self.limit.release(mailbox)
        return status, hdrs, json.dumps(answer) if answer is not None else ""

    def _mailbox(self, path: str) -> str:
        parts = _segments(urlsplit(path).path)
        return "me" if parts[:1] == ["me"] else self._owner(parts[1]) if parts[:1] == ["users"] and len(parts) > 1 else ""

    def _batch(self, body: dict) -> dict:
        assert len(body["requests"]) <= 20, "Graph takes at most 20 requests per batch"
        assert not any(sub.get("dependsOn") for sub in body["requests"]), "dependsOn chains are not modelled here"
        self.batches.append(len(body["requests"]))
        mailboxes = [self._mailbox(sub["url"]) for sub in body["requests"]]
        admitted = self.limit.admit(mailboxes)  # every sub-request counts against its mailbox's limit
        answers = []
        try:
            self.limit.work(sum(admitted))
            for sub, runs in zip(body["requests"], admitted, strict=True):
                if self._throttle > 0:
                    self._throttle -= 1
                    status, hdrs, answer = graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
                    hdrs = {**hdrs, "Retry-After": self._throttle_after}
                elif not runs:
                    status, hdrs, answer = throttled_answer()
                else:
                    split = urlsplit(sub["url"])
                    status, hdrs, answer = self._route(
                        sub["method"], split.path, split.query, {k.lower(): v for k, v in (sub.get("headers") or {}).items()}, sub.get("body")
                    )
                entry = {"id": sub["id"], "status": status, "headers": hdrs}
                if answer is not None:
                    entry["body"] = answer
                answers.append(entry)
        finally:
            self.limit.release([m for m, runs in zip(mailboxes, admitted, strict=True) if runs])
        answers.reverse()  # Graph may answer in any order: the client must match by id
        return {"responses": answers}

    def _route(self, method: str, path: str, query: str, headers: dict, body: Any) -> tuple[int, dict, Any]:
        with self._lock:
            self.calls.append((method, path))
            params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
            parts = _segments(path)
            if parts[:1] == ["me"]:
                owner, rest = "me", parts[1:]
            elif parts[:1] == ["users"] and len(parts) > 2:
                owner, rest = self._owner(parts[1]), parts[2:]
            else:
                return graph_error(400, "BadRequest", "Resource not found for the segment.")
            folders = self.owners.setdefault(owner, {})
            if rest == ["contactfolders"]:
                if method == "POST":
                    fid = f"AAMkAGFolder{next(self._ids)}AAA="
                    folders[fid] = {"displayName": body["displayName"], "contacts": {}}
                    return 201, {}, {"id": fid, "displayName": body["displayName"], "parentFolderId": "AAMkAGRoot="}
                wanted = re.fullmatch(r"displayName eq '(.*)'", params.get("$filter", ""))
                name = wanted.group(1).replace("''", "'") if wanted else None
                value = [{"id": fid, "displayName": f["displayName"]} for fid, f in folders.items() if name in (None, f["displayName"])]
                return 200, {}, {"value": value}
            if len(rest) < 2 or rest[0] != "contactfolders" or rest[1] not in folders:
                return graph_error(*NOT_FOUND)
            fid, folder = rest[1], folders[rest[1]]
            if len(rest) == 2:
                return 200, {}, {"id": fid, "displayName": folder["displayName"]}
            if rest[2:] == ["contacts"] and method == "GET":
                return self._list(owner, fid, folder, params)
            if rest[2:] == ["contacts"] and method == "POST":
                cid = self._create(folder, fid, body)
                return 201, {}, self._shape(folder["contacts"][cid], params)
            if rest[2:] in (["contacts", "delta"], ["contacts", "microsoft.graph.delta()"]):
                return self._delta(owner, fid, folder, params)
            if len(rest) == 4 and rest[2] == "contacts":
                return self._one(method, fid, folder, rest[3], params, headers, body)
            return graph_error(400, "BadRequest", "Unsupported segment.")

    def _list(self, owner: str, fid: str, folder: dict, params: dict) -> tuple[int, dict, Any]:
        items = list(folder["contacts"].values())
        skip, top = int(params.get("$skip", 0)), int(params.get("$top", 10))
        top = min(top, self.page_size)
        page = {"value": [self._shape(i, params) for i in items[skip : skip + top]]}
        if skip + top < len(items):
            rest = {k: v for k, v in params.items() if k != "$skip"}
            query = "&".join(f"{k}={v}" for k, v in rest.items())
            page["@odata.nextLink"] = f"{self.base}/{_owner_path(owner)}/contactFolders/{fid}/contacts?{query}&$skip={skip + top}"
        return 200, {}, page

    def _delta(self, owner: str, fid: str, folder: dict, params: dict) -> tuple[int, dict, Any]:
        # Links come back in the service's own spelling, not the one asked: the user by its
        # GUID and the folder as a key segment (contact-delta and delta-query-messages pages:
        # ".../users('{guid}')/contactFolders('{id}')/contacts/delta?$deltatoken=...").
        link = f"{self.base}/users('{self.user_id(owner)}')/contactFolders('{fid}')/contacts/delta"
        if "$skiptoken" in params:
            if params["$skiptoken"] not in self._pages:
                return graph_error(400, "BadRequest", "The skip token is not valid.")
            rows, position = self._pages.pop(params["$skiptoken"])
        elif "$deltatoken" in params:
            state = self._delta_state(params["$deltatoken"])
            if state is None:  # not a token this service wrote
                return graph_error(400, "BadRequest", "The delta token is malformed.")
            epoch, token_folder, position = state
            if (epoch, token_folder) != (self.epoch, fid) or position > len(self.log) or params["$deltatoken"] not in self._issued:
                # delta-query-overview, "Synchronization reset" / "Token duration": 410 Gone, code
                # syncStateNotFound, and a Location with an empty $deltatoken (the initial query).
                status, hdrs, body = graph_error(410, "SyncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
                return status, {**hdrs, "Location": f"{link}?$deltatoken="}, body
            touched = dict.fromkeys(cid for f, cid in self.log[position:] if f == fid)
            rows = []
            for cid in touched:
                if cid in folder["contacts"]:
                    rows.append(self._delta_row(folder["contacts"][cid]))
                elif not (self.forget_deletes_after_token and self.created_at.get(cid, -1) >= position):
                    rows.append({"@odata.type": "#microsoft.graph.contact", "id": cid, "@removed": {"reason": "deleted"}})
            position = len(self.log)
        else:
            rows = [self._delta_row(i) for i in folder["contacts"].values()]
            position = len(self.log)
        page = {"@odata.context": f"{self.base}/$metadata#Collection(contact)", "value": rows[: self.page_size]}
        if len(rows) > self.page_size:
            token = f"skip{next(self._ids)}"
            self._pages[token] = (rows[self.page_size :], position)
            page["@odata.nextLink"] = f"{link}?$skiptoken={token}"
        else:
            token = base64.urlsafe_b64encode(f"{self.epoch}.{fid}.{position}".encode()).decode().rstrip("=")
            self._issued.add(token)
            page["@odata.deltaLink"] = f"{link}?$deltatoken={token}"
        return 200, {}, page

    @staticmethod
    def _delta_state(token: str) -> tuple[int, str, int] | None:
        try:
            epoch, fid, position = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(".")
            return int(epoch), fid, int(position)
        except ValueError:
            return None

    def _delta_row(self, item: dict) -> dict:
        return {"@odata.type": "#microsoft.graph.contact", "@odata.etag": item["@odata.etag"], "id": item["id"], "changeKey": item["changeKey"]}

    def _one(self, method, fid, folder, cid, params, headers, body) -> tuple[int, dict, Any]:
        item = folder["contacts"].get(cid)
        if item is None:
            return graph_error(*NOT_FOUND)
        if method == "GET":
            return 200, {}, self._shape(item, params)
        if headers.get("if-match") and headers["if-match"] != item["@odata.etag"]:
            return graph_error(412, "ErrorIrresolvableConflict",
                               "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.")  # fmt: skip
        if method == "DELETE":
            del folder["contacts"][cid]
            self.log.append((fid, cid))
            return 204, {}, None
        if method == "PATCH":
            self._apply(item, body)
            self._touch(fid, item)
            return 200, {}, self._shape(item, {})
        return graph_error(405, "ErrorInvalidRequest", "The OData request is not supported.")

    # -- storage ---------------------------------------------------------------------------

    def _create(self, folder: dict, fid: str, body: dict) -> str:
        cid = f"AAMkAGI2TG93AAA{uuid.uuid4().hex}="
        item = {"id": cid, "parentFolderId": fid, "createdDateTime": "2025-02-13T10:17:05Z", "_props": {}}
        self._apply(item, body)
        folder["contacts"][cid] = item
        self.created_at[cid] = len(self.log)
        self._touch(fid, item)
        return cid

    def _apply(self, item: dict, body: dict) -> None:
        for key, value in (body or {}).items():
            if key == "singleValueExtendedProperties":
                for prop in value:
                    item["_props"][prop["id"]] = prop["value"]
            elif value is None:
                item.pop(key, None)
            else:
                item[key] = value

    def _touch(self, fid: str, item: dict) -> None:
        change_key = f"EQAAABYAAAD{next(self._ids):08d}"
        item["changeKey"] = change_key
        item["@odata.etag"] = f'W/"{change_key}"'
        item["lastModifiedDateTime"] = "2025-02-13T10:18:00Z"
        self.log.append((fid, item["id"]))

    def _shape(self, item: dict, params: dict) -> dict:
        """The contact as Graph answers: $select honoured, extended properties only when $expand names them."""
        shown = {k: v for k, v in item.items() if not k.startswith("_")}
        if "$select" in params:
            keep = set(params["$select"].split(",")) | {"id", "@odata.etag"}
            shown = {k: v for k, v in shown.items() if k in keep}
        wanted = re.findall(r"id eq '([^']*)'", params.get("$expand", ""))
        if wanted:
            shown["singleValueExtendedProperties"] = [
                {"id": pid, "value": value} for pid, value in item["_props"].items() if any(pid.casefold() == w.casefold() for w in wanted)
            ]
        return shown


def _segments(path: str) -> list[str]:
    """Path segments, names case-folded (Graph's are case-insensitive) and key segments split:
    "contactFolders('AAM=')" -> "contactfolders", "AAM="; "users('guid')" -> "users", "guid"."""
    parts: list[str] = []
    for raw in path.strip("/").split("/"):
        segment = unquote(raw)
        keyed = re.fullmatch(r"([A-Za-z]+)\('(.*)'\)", segment)
        if keyed:
            parts += [keyed.group(1).casefold(), keyed.group(2).replace("''", "'")]
        elif parts and parts[-1] in ("users", "contactfolders", "contacts") and segment not in ("delta",):
            parts.append(segment)  # an id keeps its case
        else:
            parts.append(segment.casefold())
    return parts


def _owner_path(owner: str) -> str:
    return "me" if owner == "me" else f"users/{owner}"


def _clean(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}
