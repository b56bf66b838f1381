"""A fake SharePoint contacts list behind `responses`: site and list lookup, columns, items, delta, $batch.

Every answer follows a Microsoft Graph doc page, named where the rule is kept
(learn.microsoft.com/graph/api/...). What the service leaves out, the fake
leaves out; what it refuses, the fake refuses. Nothing reaches the network.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import responses

BASE = "https://graph.microsoft.com/v1.0"
TOKEN = "fake-sharepoint-token-8b1d0c55"
HOST = "contoso.sharepoint.com"
SITE_PATH = "/sites/sales"
SITE_ID = "contoso.sharepoint.com,2C712604-1370-44E7-A1F5-426573FDA80A,2D2244C3-251A-49EA-93A8-39E1C3A060FE"
LIST_ID = "22e03ef3-6ef4-424d-a1d3-92a337807c30"
LIST_NAME = "Contacts"
LOCATION = f"https://{HOST}{SITE_PATH}/Lists/{LIST_NAME}"
TEMPLATE_COLUMNS = (
    "Title", "FirstName", "FullName", "Email", "Company", "JobTitle", "WorkPhone", "HomePhone", "CellPhone",
    "WorkFax", "WorkAddress", "WorkCity", "WorkState", "WorkZip", "WorkCountry", "WebPage", "Comments",
)  # fmt: skip
HUB_COLUMNS = ("ContacthubId", "ContacthubDetails")  # what a list the hub already used holds, hidden
ITEMS = f"{BASE}/sites/{SITE_ID}/lists/{LIST_ID}/items"


def graph_error(status: int, code: str, message: str, headers: dict | None = None) -> tuple[int, dict, dict]:
    # The error envelope of learn.microsoft.com/graph/errors ("Error resource type").
    body = {"error": {"code": code, "message": message,
                      "innerError": {"date": "2025-02-13T10:17:05", "request-id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
                                     "client-request-id": "e70c5c1b-8b47-68c0-3171-3d22f5e0bd54"}}}  # fmt: skip
    return status, {"Content-Type": "application/json", **(headers or {})}, body


NOT_FOUND = (404, "itemNotFound", "The resource could not be found.")
# learn.microsoft.com/graph/errors lists activityLimitReached ("The app or user has been throttled") for 429
# and serviceNotAvailable ("Try the request again after a delay. There may be a Retry-After header") for 503;
# learn.microsoft.com/sharepoint/dev/general-development/how-to-avoid-getting-throttled-or-blocked-in-sharepoint-online:
# SharePoint answers 429 or 503 with a Retry-After header in whole seconds.
THROTTLE = {429: ("activityLimitReached", "The request has been throttled"),
            503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry after some time.")}  # fmt: skip


def column_json(name: str, hidden: bool, text: dict | None = None) -> dict:
    """A columnDefinition as "List columns in a list" (list-list-columns) shows one."""
    return {"description": "", "displayName": name, "hidden": hidden, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            "indexed": False, "name": name, "readOnly": False, "required": name == "Title",
            "text": text or {"allowMultipleLines": False, "appendChangesToExistingText": False, "linesForEditing": 0,
                             "maxLength": 255}}  # fmt: skip


def _fields_select(expand: str) -> list[str] | None:
    """The column names of `$expand=fields($select=A,B)`; None for a bare `$expand=fields`."""
    chosen = re.fullmatch(r"fields(?:\(\s*\$?select=([^)]*)\))?", expand.strip())
    if not chosen or chosen.group(1) is None:
        return None
    return [c.strip() for c in chosen.group(1).split(",") if c.strip()]


class FakeSharePoint:
    def __init__(self, columns=TEMPLATE_COLUMNS, page_size: int = 3, hidden_columns=()) -> None:
        self.columns = {name: column_json(name, False) for name in columns}
        self.columns.update({name: column_json(name, True) for name in hidden_columns})
        self.items: dict[str, dict] = {}  # id -> {"fields": {...}, "version": n}
        self.log: list[str] = []  # item ids in the order they changed (the delta feed's source)
        self.epoch = 0
        self.page_size = page_size
        self.requests: list[tuple[str, str]] = []  # every HTTP request (a $batch is one)
        self.calls: list[tuple[str, str]] = []  # every request the service served, $batch sub-requests each
        self.batches: list[int] = []
        self.throttled: list[tuple[int, str]] = []  # (status, Retry-After) for the next item writes
        self.throttled_batches: list[tuple[int, str]] = []  # the same for the next $batch requests as a whole
        self.refused: dict[str, tuple[int, str, str]] = {}  # item id -> the error its writes get
        self._ids = itertools.count(1)
        self._tokens: dict[str, tuple[str, Any]] = {}  # opaque delta token -> what it stands for
        self._lock = threading.RLock()
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in ("GET", "POST", "PATCH", "DELETE"):
            self.mock.add_callback(method, re.compile(re.escape(BASE) + r"/.*"), callback=self._http)

    def __enter__(self) -> FakeSharePoint:
        self.mock.start()
        return self

    def __exit__(self, *exc) -> None:
        self.mock.stop()
        self.mock.reset()

    def expire_tokens(self) -> None:
        self.epoch += 1

    def throttle_writes(self, count: int, status: int = 429, retry_after: str = "300") -> None:
        self.throttled.extend([(status, retry_after)] * count)

    def throttle_batches(self, count: int, status: int = 429, retry_after: str = "300") -> None:
        self.throttled_batches.extend([(status, retry_after)] * count)

    def versions(self) -> dict[str, int]:
        return {iid: item["version"] for iid, item in self.items.items()}

    # -- the user in the browser -----------------------------------------------------------

    def user_create(self, fields: dict[str, Any]) -> str:
        with self._lock:
            return self._create(dict(fields))

    def user_edit(self, item_id: str, **fields: Any) -> None:
        with self._lock:
            self.items[item_id]["fields"].update(fields)
            self._touch(item_id)

    def user_delete(self, item_id: str) -> None:
        with self._lock:
            del self.items[item_id]
            self.log.append(item_id)

    # -- HTTP ---------------------------------------------------------------------------------

    def _http(self, request) -> tuple[int, dict, str]:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, headers, body = graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
            return status, headers, json.dumps(body)
        split = urlsplit(request.url)
        path = split.path[len(urlsplit(BASE).path):]
        self.requests.append((request.method, unquote(path)))
        body = json.loads(request.body) if request.body else None
        if request.method == "POST" and path == "/$batch":
            # learn.microsoft.com/graph/json-batching: at most 20 requests; each answered on its own,
            # a throttled one with status 429 and its Retry-After among its headers.
            assert len(body["requests"]) <= 20
            if self.throttled_batches:
                status, headers, answer = self._throttle(*self.throttled_batches.pop(0))
                return status, headers, json.dumps(answer)
            self.batches.append(len(body["requests"]))
            answers = []
            for sub in body["requests"]:
                s = urlsplit(sub["url"])
                status, headers, answer = self._route(sub["method"], s.path, s.query, sub.get("headers") or {}, sub.get("body"))
                answers.append({"id": sub["id"], "status": status, "headers": headers, **({"body": answer} if answer is not None else {})})
            return 200, {"Content-Type": "application/json"}, json.dumps({"responses": answers})
        status, headers, answer = self._route(request.method, path, split.query, dict(request.headers), body)
        return status, headers, json.dumps(answer) if answer is not None else ""

    def _throttle(self, status: int, retry_after: str) -> tuple[int, dict, Any]:
        status, headers, body = graph_error(status, *THROTTLE[status], {"Retry-After": retry_after})
        if status == 429:  # graph/errors, "Detailed error codes": throttledRequest ("Too many requests")
            body["error"]["innerError"]["code"] = "throttledRequest"
        return status, headers, body

    def _route(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        with self._lock:
            self.calls.append((method, unquote(path)))
            params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in headers.items()}
            raw = path.strip("/").split("/")
            if raw[0] != "sites":
                return graph_error(400, "invalidRequest", "Invalid request")
            if ":" in unquote(raw[1]):  # /sites/{host}:/{path} (site-getbypath)
                host, _, rest = unquote(path[len("/sites/"):]).partition(":")
                if host == HOST and rest.rstrip("/") == SITE_PATH:
                    return 200, {}, {"id": SITE_ID, "webUrl": f"https://{HOST}{SITE_PATH}", "displayName": "Sales"}
                return graph_error(*NOT_FOUND)
            parts = [unquote(p) for p in raw]
            if parts[1] != SITE_ID or len(parts) < 4 or parts[2] != "lists" or parts[3] not in (LIST_ID, LIST_NAME):
                return graph_error(*NOT_FOUND)
            rest = parts[4:]
            if not rest:
                return 200, {}, {"id": LIST_ID, "displayName": LIST_NAME}
            if rest == ["columns"]:
                return self._columns(method, params, body)
            if method in ("POST", "PATCH", "DELETE") and rest[0] == "items" and self.throttled:
                return self._throttle(*self.throttled.pop(0))
            if rest == ["items"] and method == "POST":
                unknown = set(body["fields"]) - set(self.columns)
                if unknown:
                    return graph_error(400, "invalidRequest", f"Field '{sorted(unknown)[0]}' is not recognized")
                # listitem-create: 201 and the new listItem (its default properties, eTag among them).
                return 201, {}, self._shape(self._create(dict(body["fields"])), {})
            if rest == ["items"]:
                return self._list(params)
            if rest == ["items", "delta"]:
                return self._delta(params)
            if len(rest) >= 2 and rest[0] == "items":
                return self._one(method, rest[1], rest[2:], params, headers, body)
            return graph_error(400, "invalidRequest", "Unsupported segment")

    def _columns(self, method, params, body) -> tuple[int, dict, Any]:
        if method == "POST":
            # list-post-columns creates a column; a name the list already has is refused, with the
            # message SharePoint gives (issue 11 saw it from a list made from the Contacts template).
            if body["name"] in self.columns:
                return graph_error(400, "invalidRequest", f'A duplicate field name "{body["name"]}" was found.')
            self.columns[body["name"]] = column_json(body["name"], bool(body.get("hidden")), body.get("text"))
            return 201, {}, self.columns[body["name"]]
        # resources/columndefinition: "By default, columnDefinitions and field values for hidden columns
        # aren't shown. To list hidden columnDefinitions, include hidden in your $select statement."
        selected = [s.strip() for s in params.get("$select", "").split(",") if s.strip()]
        shown = [c for c in self.columns.values() if "hidden" in selected or not c["hidden"]]
        return 200, {}, {"value": [{k: v for k, v in c.items() if not selected or k in selected} for c in shown]}

    def _list(self, params) -> tuple[int, dict, Any]:
        # listitem-list: pages follow @odata.nextLink, which carries the request's own options and a $skiptoken.
        ids = list(self.items)
        skip = int(params.get("$skiptoken", 0))
        page = {"value": [self._shape(i, params) for i in ids[skip : skip + self.page_size]]}
        if skip + self.page_size < len(ids):
            page["@odata.nextLink"] = f"{ITEMS}?{urlencode({**params, '$skiptoken': skip + self.page_size}, safe='$,()=')}"
        return 200, {}, page

    def _delta(self, params) -> tuple[int, dict, Any]:
        # listitem-delta: nextLink and deltaLink are both ".../lists/{list-id}/items/delta?token=..."; the
        # token is opaque and (delta-query-overview, "State tokens") encodes the first request's $select
        # and $expand, which later pages and passes keep. A token the service no longer knows is 410 Gone
        # with resyncRequired and a Location to start over.
        if "token" not in params:
            rows = [(iid, True) for iid in self.items]
            return self._delta_page(rows, len(self.log), params)
        kind, state = self._tokens.get(params["token"], ("", None))
        if kind == "page":
            rows, position, first = state
            return self._delta_page(rows, position, first)
        if kind != "delta" or state[0] != self.epoch:
            fresh = self._token("delta", (self.epoch, 0, {}))
            return graph_error(
                410, "resyncRequired", "Resync required. Replace any local items with the server's version (including deletes) "
                "if you're sure that the service was up to date with your local changes when you last sync'd.",
                {"Location": f"{ITEMS}/delta?token={fresh}"},
            )  # fmt: skip
        _epoch, position, first = state
        rows = [(iid, iid in self.items) for iid in dict.fromkeys(self.log[position:])]
        return self._delta_page(rows, len(self.log), first)

    def _delta_page(self, rows: list[tuple[str, bool]], position: int, first: dict) -> tuple[int, dict, Any]:
        shown = [self._shape(iid, first) if alive else
                 {"id": iid, "parentReference": {"siteId": SITE_ID}, "deleted": {"state": "deleted"}}
                 for iid, alive in rows[: self.page_size]]  # fmt: skip
        page: dict[str, Any] = {"value": shown}
        if len(rows) > self.page_size:
            page["@odata.nextLink"] = f"{ITEMS}/delta?token={self._token('page', (rows[self.page_size:], position, first))}"
        else:
            page["@odata.deltaLink"] = f"{ITEMS}/delta?token={self._token('delta', (self.epoch, position, first))}"
        return 200, {}, page

    def _token(self, kind: str, state: Any) -> str:
        token = base64.urlsafe_b64encode(f"{kind};{len(self._tokens)};{self.epoch}".encode()).decode().rstrip("=")
        self._tokens[token] = (kind, state)
        return token

    def _one(self, method, iid, tail, params, headers, body) -> tuple[int, dict, Any]:
        if iid not in self.items:
            return graph_error(*NOT_FOUND)
        if method == "GET" and not tail:
            return 200, {}, self._shape(iid, params)
        if iid in self.refused:
            return graph_error(*self.refused[iid])
        # listitem-update / listitem-delete: "if the eTag provided does not match the current eTag on the
        # item, a 412 Precondition Failed response is returned" — the item's eTag is the listItem's.
        if headers.get("if-match") and headers["if-match"] != self._etag(iid):
            return graph_error(412, "resourceModified", "The resource has changed since the caller last read it; usually an eTag mismatch")
        if method == "DELETE" and not tail:
            del self.items[iid]
            self.log.append(iid)
            return 204, {}, None
        if method == "PATCH" and tail == ["fields"]:
            unknown = set(body) - set(self.columns)
            if unknown:
                return graph_error(400, "invalidRequest", f"Field '{sorted(unknown)[0]}' is not recognized")
            self.items[iid]["fields"].update(body)
            self._touch(iid)
            # listitem-update: "returns a 200 Ok response code and a fieldValueSet" — whose @odata.etag
            # is spelled "guid,version", not as the listItem's eTag "{GUID},version" (issue 11).
            return 200, {}, self._fields(iid, None)
        return graph_error(405, "invalidRequest", "Method not allowed")

    def _create(self, fields: dict) -> str:
        iid = str(next(self._ids))
        self.items[iid] = {"fields": fields, "version": 0}
        self._touch(iid)
        return iid

    def _touch(self, iid: str) -> None:
        self.items[iid]["version"] += 1  # every write makes a new version of the item
        self.log.append(iid)

    def _guid(self, iid: str) -> str:
        return f"12AD05BB-59B8-43AA-9456-77C44E9B{int(iid):04X}"

    def _etag(self, iid: str) -> str:
        # resources/listitem (baseItem eTag) as listitem-delta shows it: "\"{12AD05BB-...},756\"".
        return f'"{{{self._guid(iid)}}},{self.items[iid]["version"]}"'

    def _fields(self, iid: str, select: list[str] | None) -> dict:
        # resources/columndefinition: hidden field values only when named in $select.
        stored = self.items[iid]["fields"]
        if select is None:
            chosen = {k: v for k, v in stored.items() if not self.columns.get(k, {}).get("hidden")}
        else:
            chosen = {k: stored[k] for k in select if k in stored}
        return {"@odata.etag": f'"{self._guid(iid).lower()},{self.items[iid]["version"]}"', **chosen}

    def _shape(self, iid: str, params) -> dict:
        item = {"id": iid, "eTag": self._etag(iid), "createdDateTime": "2025-02-13T10:17:05Z",
                "lastModifiedDateTime": "2025-02-13T10:18:00Z", "contentType": {"id": "0x0106", "name": "Contact"},
                "parentReference": {"id": LIST_ID, "siteId": SITE_ID}}  # fmt: skip
        selected = [s.strip() for s in params.get("$select", "").split(",") if s.strip()]
        if selected:
            item = {k: v for k, v in item.items() if k in selected or k == "id"}
        expand = params.get("$expand", "")
        if expand.startswith("fields"):
            item["fields"] = self._fields(iid, _fields_select(expand))
        return item
