"""A fake SharePoint contacts list behind `responses`: site and list lookup, columns, items, delta, $batch.

Answers follow the published Graph JSON: listItem with eTag and fields,
fieldValueSet with @odata.etag, item delta rows with `deleted`, paging by
@odata.nextLink / @odata.deltaLink, 410 Gone with a Location header for an
expired delta token, the error envelope. Nothing reaches the network.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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


def graph_error(status: int, code: str, message: str, headers: dict | None = None) -> tuple[int, dict, dict]:
    body = {"error": {"code": code, "message": message,
                      "innerError": {"date": "2025-02-13T10:17:05", "request-id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
                                     "client-request-id": "e70c5c1b-8b47-68c0-3171-3d22f5e0bd54"}}}  # fmt: skip
    return status, {"Content-Type": "application/json", **(headers or {})}, body


NOT_FOUND = (404, "itemNotFound", "The resource could not be found.")


class FakeSharePoint:
    def __init__(self, columns=TEMPLATE_COLUMNS, page_size: int = 3) -> None:
        self.columns = {name: {"name": name, "displayName": name, "hidden": False, "text": {}} for name in columns}
        self.items: dict[str, dict] = {}  # id -> {"fields": {...}, "version": n}
        self.log: list[str] = []
        self.epoch = 0
        self.page_size = page_size
        self.calls: list[tuple[str, str]] = []
        self.batches: list[int] = []
        self._ids = itertools.count(1)
        self._versions = itertools.count(1)
        self._pages: dict[str, tuple[list, int]] = {}
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
        body = json.loads(request.body) if request.body else None
        if request.method == "POST" and path == "/$batch":
            assert len(body["requests"]) <= 20
            self.batches.append(len(body["requests"]))
            answers = []
            for sub in body["requests"]:
                s = urlsplit(sub["url"])
                status, headers, answer = self._route(sub["method"], s.path, s.query, sub.get("headers") or {}, sub.get("body"))
                answers.append({"id": sub["id"], "status": status, "headers": headers, **({"body": answer} if answer is not None else {})})
            return 200, {"Content-Type": "application/json"}, json.dumps({"responses": answers})
        status, headers, answer = self._route(request.method, path, split.query, dict(request.headers), body)
        return status, headers, json.dumps(answer) if answer is not None else ""

    def _route(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        with self._lock:
            self.calls.append((method, path))
            params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in headers.items()}
            raw = path.strip("/").split("/")
            if raw[0] != "sites":
                return graph_error(400, "invalidRequest", "Invalid request")
            if ":" in unquote(raw[1]):  # /sites/{host}:/{path}
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
                if method == "POST":
                    self.columns[body["name"]] = dict(body)
                    return 201, {}, {"id": f"col-{body['name']}", **body}
                return 200, {}, {"value": [{"name": c["name"], "displayName": c["displayName"]} for c in self.columns.values()]}
            if rest == ["items"] and method == "POST":
                fields = {k: v for k, v in body["fields"].items()}
                unknown = set(fields) - set(self.columns)
                if unknown:
                    return graph_error(400, "invalidRequest", f"Field '{sorted(unknown)[0]}' is not recognized")
                return 201, {}, self._shape(self._create(fields), {"$expand": "fields"})
            if rest == ["items"]:
                return self._list(params)
            if rest == ["items", "delta"]:
                return self._delta(params)
            if len(rest) >= 2 and rest[0] == "items":
                return self._one(method, rest[1], rest[2:], params, headers, body)
            return graph_error(400, "invalidRequest", "Unsupported segment")

    def _list(self, params) -> tuple[int, dict, Any]:
        ids = list(self.items)
        skip = int(params.get("$skiptoken", 0))
        page = {"value": [self._shape(i, params) for i in ids[skip : skip + self.page_size]]}
        if skip + self.page_size < len(ids):
            page["@odata.nextLink"] = f"{BASE}/sites/{SITE_ID}/lists/{LIST_ID}/items?$expand=fields($select=ContacthubId)&$select=id,eTag&$skiptoken={skip + self.page_size}"
        return 200, {}, page

    def _delta(self, params) -> tuple[int, dict, Any]:
        link = f"{BASE}/sites/{SITE_ID}/lists/{LIST_ID}/items/delta"
        if "skip" in params:
            rows, position = self._pages.pop(params["skip"])
        elif "token" in params:
            epoch, _, position = params["token"].partition(".")
            if epoch != str(self.epoch) or not position.isdigit() or int(position) > len(self.log):
                return graph_error(
                    410, "resyncRequired", "Resync required. Replace any local items with the server's version (including deletes) "
                    "if you're sure that the service was up to date with your local changes when you last sync'd.",
                    {"Location": f"{link}?token={self.epoch}.0"},
                )  # fmt: skip
            rows = []
            for iid in dict.fromkeys(self.log[int(position):]):
                if iid in self.items:
                    rows.append(self._shape(iid, {"$expand": "fields($select=ContacthubId)"}))
                else:
                    rows.append({"id": iid, "parentReference": {"siteId": SITE_ID}, "deleted": {"state": "deleted"}})
            position = len(self.log)
        else:
            rows = [self._shape(i, params) for i in self.items]
            position = len(self.log)
        page = {"value": rows[: self.page_size]}
        if len(rows) > self.page_size:
            key = f"p{next(self._ids)}"
            self._pages[key] = (rows[self.page_size :], position)
            page["@odata.nextLink"] = f"{link}?skip={key}"
        else:
            page["@odata.deltaLink"] = f"{link}?token={self.epoch}.{position}"
        return 200, {}, page

    def _one(self, method, iid, tail, params, headers, body) -> tuple[int, dict, Any]:
        if iid not in self.items:
            return graph_error(*NOT_FOUND)
        if method == "GET" and not tail:
            return 200, {}, self._shape(iid, params)
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
            return 200, {}, {"@odata.etag": self._etag(iid), **self.items[iid]["fields"]}
        return graph_error(405, "invalidRequest", "Method not allowed")

    def _create(self, fields: dict) -> str:
        iid = str(next(self._ids))
        self.items[iid] = {"fields": fields}
        self._touch(iid)
        return iid

    def _touch(self, iid: str) -> None:
        self.items[iid]["version"] = next(self._versions)
        self.log.append(iid)

    def _etag(self, iid: str) -> str:
        return f'"{{12AD05BB-59B8-43AA-9456-77C44E9B{int(iid):04d}}},{self.items[iid]["version"]}"'

    def _shape(self, iid: str, params) -> dict:
        item = {"id": iid, "eTag": self._etag(iid), "createdDateTime": "2025-02-13T10:17:05Z",
                "lastModifiedDateTime": "2025-02-13T10:18:00Z", "contentType": {"id": "0x0106", "name": "Contact"}}  # fmt: skip
        expand = params.get("$expand", "")
        if expand.startswith("fields"):
            fields = {"@odata.etag": self._etag(iid), "id": iid, **self.items[iid]["fields"]}
            chosen = re.search(r"\$select=([^)]*)", expand)
            if chosen:
                fields = {k: v for k, v in fields.items() if k in chosen.group(1).split(",") or k in ("@odata.etag", "id")}
            item["fields"] = fields
        return item
