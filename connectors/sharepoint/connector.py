"""SharePointConnector: one SharePoint contacts list through Microsoft Graph.

Target: ``sharepoint:https://contoso.sharepoint.com/sites/sales/Lists/Contacts``
— the site is resolved by host and path, the list by its name. The remote id
is the list item id, the etag its eTag (sent back as If-Match). Changes come
from the list's item delta; the whole @odata.deltaLink is the change token, and
a 410 (resyncRequired) makes the engine read everything again. The marker is a
hidden text column the connector adds when the list lacks it (mapping.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from contacthub.connector import (
    Capabilities,
    ChangeSet,
    ConnectorContext,
    ConnectorError,
    NotFound,
    RemoteItem,
    RemoteRef,
    Result,
    TargetError,
    TokenExpired,
    WriteRequest,
)
from contacthub.connectors.graph.auth import auth_for
from contacthub.connectors.graph.http import GraphClient, Reply, SubRequest, error_for, query, segment
from contacthub.connectors.sharepoint.mapping import (
    CONTACT_COLUMNS,
    DETAILS_COLUMN,
    HELD_FIELDS,
    MARKER_COLUMN,
    marker_of,
    to_contact,
    to_fields_with_marker,
)
from contacthub.errors import ConfigError

log = logging.getLogger(__name__)

PERMISSION = "Sites.ReadWrite.All"
_ID = re.compile(r"^[0-9]{1,10}$")  # list item ids are numbers
HIDDEN_COLUMNS = {
    MARKER_COLUMN: {"name": MARKER_COLUMN, "displayName": MARKER_COLUMN, "hidden": True, "text": {"maxLength": 255}},
    DETAILS_COLUMN: {"name": DETAILS_COLUMN, "displayName": DETAILS_COLUMN, "hidden": True,
                     "text": {"allowMultipleLines": True, "textType": "plain"}},
}  # fmt: skip


def split_list_url(location: str) -> tuple[str, str, str]:
    """(host, site path, list name) of ``https://HOST/SITE/PATH/Lists/NAME[/AllItems.aspx]``."""
    split = urlsplit(location)
    if split.scheme != "https" or not split.hostname or split.username or split.password:
        raise ConfigError(f"sharepoint: location {location!r} is not the https URL of a list")
    path = unquote(split.path).rstrip("/")
    path = re.sub(r"/[^/]+\.aspx$", "", path)
    site, sep, name = path.rpartition("/Lists/")
    if not sep or not name or "/" in name:
        raise ConfigError(f"sharepoint: location {location!r} should look like https://HOST/sites/SITE/Lists/LIST")
    return split.hostname, site, name


class SharePointConnector:
    """One contacts list. Open it with `SharePointConnector.open(options, context)`."""

    name = "sharepoint"
    description = "A SharePoint contacts list, through Microsoft Graph"
    capabilities = Capabilities(incremental=True, push=False, batch_size=80, fields=HELD_FIELDS)

    def __init__(self, client: GraphClient, location: str) -> None:
        self.client = client
        self.location = location
        self.host, self.site_path, self.list_name = split_list_url(location)
        self._site = ""
        self._list = ""
        self._columns: set[str] = set()

    @classmethod
    def open(cls, options: Mapping[str, Any], context: ConnectorContext) -> SharePointConnector:
        location = str(options.get("location") or "").strip()
        auth = auth_for(options, context, "sharepoint")
        return cls(GraphClient(auth.settings.graph_url, auth.token), location)

    # -- the list ----------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"list '{self.list_name}' at {self.location}"

    def _items(self) -> str:
        if not self._list:
            self._resolve()
        return f"/sites/{segment(self._site)}/lists/{segment(self._list)}/items"

    def _resolve(self) -> None:
        site_ref = f"/sites/{self.host}:{self.site_path or '/'}"
        site = self.client.call("GET", site_ref + query({"$select": "id,webUrl"}), f"finding the site of {self.where}", permission=PERMISSION)
        self._site = str(site.body["id"])
        lists = f"/sites/{segment(self._site)}/lists/{segment(self.list_name)}"
        found = self.client.call("GET", lists + query({"$select": "id,displayName"}), f"finding {self.where}", permission=PERMISSION)
        self._list = str(found.body["id"])
        columns_path = f"/sites/{segment(self._site)}/lists/{segment(self._list)}/columns"
        columns = set()
        for page in self.client.pages(columns_path + query({"$select": "name"}), f"reading the columns of {self.where}", PERMISSION):
            columns |= {str(c.get("name")) for c in page.get("value", [])}
        for name, definition in HIDDEN_COLUMNS.items():
            if name not in columns:
                self.client.call("POST", columns_path, f"adding the hidden column {name} to {self.where}", body=definition, permission=PERMISSION)
                log.info("sharepoint: added the hidden column %s to %s", name, self.where)
        self._columns = columns & set(CONTACT_COLUMNS)
        if "Title" not in self._columns:
            raise TargetError(f"sharepoint: {self.where} has no Title column; is it a list?")

    # -- the contract ---------------------------------------------------------------------

    def check(self) -> None:
        self._items()

    def list(self) -> Iterator[RemoteRef]:
        path = self._items() + query({"$select": "id,eTag", "$expand": f"fields($select={MARKER_COLUMN})", "$top": "200"})
        refs: dict[str, RemoteRef] = {}
        for page in self.client.pages(path, f"listing {self.where}", PERMISSION):
            for item in page.get("value", []):
                refs[str(item["id"])] = RemoteRef(str(item["id"]), str(item.get("eTag") or ""), marker_of(item.get("fields")))
        return iter(list(refs.values()))

    def changes(self, token: str) -> ChangeSet:
        delta = self._items() + "/delta"
        if token:
            if not (len(token) <= 8192 and token.isprintable()
                    and unquote(token.partition("?")[0]).casefold() == unquote(self.client.url(delta)).casefold()):  # fmt: skip
                raise TokenExpired(f"sharepoint: the change token for {self.where} is not one this hub holds; reading everything")
            url = token
        else:
            url = delta + query({"$select": "id,eTag", "$expand": f"fields($select={MARKER_COLUMN})"})
        changed: dict[str, RemoteRef] = {}
        deleted: set[str] = set()
        delta_link = ""
        # 410 Gone (resyncRequired …) is TokenExpired: the engine reads everything with changes("").
        for page in self.client.pages(url, f"reading the changes of {self.where}", PERMISSION):
            for row in page.get("value", []):
                rid = str(row.get("id") or "")
                if not rid:
                    continue
                if row.get("deleted") is not None:
                    deleted.add(rid)
                    changed.pop(rid, None)
                else:
                    changed[rid] = RemoteRef(rid, str(row.get("eTag") or ""), marker_of(row.get("fields")))
                    deleted.discard(rid)
            delta_link = page.get("@odata.deltaLink") or delta_link
        if not delta_link:
            raise TargetError(f"sharepoint: the changes of {self.where} ended without a deltaLink")
        return ChangeSet(changed=list(changed.values()), deleted=sorted(deleted) if token else [], token=delta_link)

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        wanted = [rid for rid in dict.fromkeys(ids) if _valid(rid)]
        base = self._items()
        subs = [SubRequest("GET", f"{base}/{rid}" + query({"$expand": "fields"})) for rid in wanted]
        items = []
        for rid, reply in zip(wanted, self.client.batch(subs, f"reading items of {self.where}"), strict=True):
            if reply.status == 404:
                continue
            if not reply.ok:
                raise error_for(reply, f"reading item {rid} of {self.where}", PERMISSION)
            body = reply.body or {}
            fields = body.get("fields") or {}
            items.append(RemoteItem(RemoteRef(rid, str(body.get("eTag") or ""), marker_of(fields)), to_contact(fields, self._columns)))
        return iter(items)

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write(list(items), "create")

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write(list(items), "update")

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write(list(items), "delete")

    def close(self) -> None:
        self.client.close()

    # -- writes -------------------------------------------------------------------------------

    def _sub(self, op: str, request: WriteRequest) -> SubRequest | ConnectorError:
        base = self._items()
        if op == "create":
            if request.contact is None:
                return TargetError("sharepoint: create without a contact")
            return SubRequest("POST", base, {"fields": to_fields_with_marker(request.contact, request.marker, self._columns)})
        if not _valid(request.remote_id):
            return NotFound(f"sharepoint: {request.remote_id!r} is not an item of {self.where}")
        headers = {"If-Match": request.etag} if request.etag else {}
        if op == "delete":
            return SubRequest("DELETE", f"{base}/{request.remote_id}", headers=headers)
        if request.contact is None:
            return TargetError(f"sharepoint: update of item {request.remote_id} without a contact")
        body = to_fields_with_marker(request.contact, request.marker, self._columns)
        return SubRequest("PATCH", f"{base}/{request.remote_id}/fields", body, headers)

    def _write(self, requests_: list[WriteRequest], op: str) -> Iterator[Result]:
        planned = [self._sub(op, r) for r in requests_]
        sendable = [i for i, s in enumerate(planned) if isinstance(s, SubRequest)]
        replies = dict(zip(sendable, self.client.batch([planned[i] for i in sendable], f"{op} in {self.where}"), strict=True))
        results = []
        for index, request in enumerate(requests_):
            sub = planned[index]
            results.append(Result(request, error=sub) if not isinstance(sub, SubRequest) else self._result(op, request, replies[index]))
        missing = [r for r in results if r.ok and r.ref is not None and not r.ref.etag]
        if missing:  # a PATCH answer without an etag: ask for it (one batched GET)
            etags = self._etags([r.ref.remote_id for r in missing])
            for r in missing:
                r.ref = RemoteRef(r.ref.remote_id, etags.get(r.ref.remote_id, ""), r.ref.marker)
        return iter(results)

    def _result(self, op: str, request: WriteRequest, reply: Reply) -> Result:
        label = f"item {request.remote_id}" if request.remote_id else "a new item"
        if not reply.ok:
            return Result(request, error=error_for(reply, f"{op} of {label} in {self.where}", PERMISSION))
        if op == "delete":
            return Result(request)
        body = reply.body or {}
        rid = str(body.get("id") or request.remote_id) if op == "create" else request.remote_id
        etag = str(body.get("eTag") or body.get("@odata.etag") or "")
        if not rid:
            return Result(request, error=TargetError(f"sharepoint: {op} in {self.where}: no item id in the answer"))
        return Result(request, ref=RemoteRef(rid, etag, request.marker))

    def _etags(self, ids: list[str]) -> dict[str, str]:
        subs = [SubRequest("GET", f"{self._items()}/{rid}" + query({"$select": "id,eTag"})) for rid in ids]
        return {rid: str((r.body or {}).get("eTag") or "") for rid, r in zip(ids, self.client.batch(subs, f"reading etags in {self.where}"), strict=True) if r.ok}


def _valid(remote_id: object) -> bool:
    return isinstance(remote_id, str) and bool(_ID.match(remote_id))
