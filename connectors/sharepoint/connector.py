"""SharePointConnector: one SharePoint contacts list through Microsoft Graph.

Target: ``sharepoint:https://contoso.sharepoint.com/sites/sales/Lists/Contacts``
— the site is resolved by host and path, the list by its name. The remote id
is the list item id, the etag the listItem's eTag (sent back as If-Match; read
again after a PATCH, whose answer carries another form). Changes come from the
list's item delta; the whole @odata.deltaLink is the change token, and a 410
(resyncRequired) makes the engine read everything again. The marker is a hidden
text column the connector adds when the list lacks it (mapping.py); hidden
columns and their values come back only when asked for by name. A write the
service refuses or throttles is a failed Result; the next pass retries it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from contacthub.connector import (
    AuthError,
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
        columns = self._column_names()
        for name, definition in HIDDEN_COLUMNS.items():
            if name not in columns:
                columns = self._add_column(name, definition, columns)
        self._columns = columns & set(CONTACT_COLUMNS)
        if "Title" not in self._columns:
            raise TargetError(f"sharepoint: {self.where} has no Title column; is it a list?")

    def _columns_path(self) -> str:
        return f"/sites/{segment(self._site)}/lists/{segment(self._list)}/columns"

    def _column_names(self) -> set[str]:
        # Hidden columns (the hub's two) are listed only when `hidden` is selected (Graph:
        # columnDefinition resource type); without it they look missing and are added twice.
        names: set[str] = set()
        path = self._columns_path() + query({"$select": "name,hidden"})
        for page in self.client.pages(path, f"reading the columns of {self.where}", PERMISSION):
            names |= {str(c.get("name")) for c in page.get("value", [])}
        return names

    def _add_column(self, name: str, definition: dict[str, Any], columns: set[str]) -> set[str]:
        """Add one hidden column; the list's column names afterwards."""
        what = f"adding the hidden column {name} to {self.where}"
        reply = self.client.request("POST", self._columns_path(), what, body=definition)
        if reply.ok:
            log.info("sharepoint: added the hidden column %s to %s", name, self.where)
            return columns | {name}
        now = self._column_names()
        if name in now:  # another hub added it meanwhile (the POST was refused as a duplicate): it is there
            return now
        raise error_for(reply, what, PERMISSION)

    def _fields_expand(self) -> str:
        """`fields($select=…)`: every column the hub reads, by name, since hidden ones come only when named."""
        names = [c for c in CONTACT_COLUMNS if c in self._columns] + [MARKER_COLUMN, DETAILS_COLUMN]
        return f"fields($select={','.join(names)})"

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
            if not self._our_delta_link(token):
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
        subs = [SubRequest("GET", f"{base}/{rid}" + query({"$select": "id,eTag", "$expand": self._fields_expand()})) for rid in wanted]
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
        try:
            replies = dict(zip(sendable, self.client.batch([planned[i] for i in sendable], f"{op} in {self.where}"), strict=True))
        except AuthError:
            raise  # the sign-in itself was refused: no write can work, the pass stops with one line
        except ConnectorError as exc:  # the $batch itself failed (throttled, unreachable): each write failed with it
            replies, planned = {}, [p if isinstance(p, ConnectorError) else exc for p in planned]
        results = []
        for index, request in enumerate(requests_):
            sub = planned[index]
            results.append(Result(request, error=sub) if not isinstance(sub, SubRequest) else self._result(op, request, replies[index]))
        self._read_etags([(r, replies[i]) for i, r in enumerate(results) if r.ok and r.ref is not None and not r.ref.etag])
        return iter(results)

    def _result(self, op: str, request: WriteRequest, reply: Reply) -> Result:
        label = f"item {request.remote_id}" if request.remote_id else "a new item"
        if not reply.ok:
            return Result(request, error=error_for(reply, f"{op} of {label} in {self.where}", PERMISSION))
        if op == "delete":
            return Result(request)
        body = reply.body or {}
        rid = str(body.get("id") or request.remote_id) if op == "create" else request.remote_id
        if not rid:
            return Result(request, error=TargetError(f"sharepoint: {op} in {self.where}: no item id in the answer"))
        # A create answers with the listItem and its eTag (Graph: Create listItem). An update answers with a
        # fieldValueSet (Update listItem), whose @odata.etag is not the listItem's eTag that delta and reads
        # report ("guid,3" against "{GUID},3"): the eTag is read again after the writes (_read_etags).
        etag = str(body.get("eTag") or "") if op == "create" else ""
        return Result(request, ref=RemoteRef(rid, etag, request.marker))

    def _read_etags(self, written: list[tuple[Result, Reply]]) -> None:
        """The listItem eTag of written items whose answer did not give it, in one batched read.

        If the item moved past the version our PATCH made (someone edited it in between), no eTag is
        kept: the next pass then reads the item and sees that edit instead of taking it for ours.
        """
        if not written:
            return
        subs = [SubRequest("GET", f"{self._items()}/{r.ref.remote_id}" + query({"$select": "id,eTag"})) for r, _ in written]
        try:
            answers = self.client.batch(subs, f"reading etags in {self.where}")
        except ConnectorError as exc:  # the writes are done; the next pass reads these items again
            log.info("sharepoint: %s", exc)
            return
        for (result, reply), answer in zip(written, answers, strict=True):
            etag = str((answer.body or {}).get("eTag") or "") if answer.ok else ""
            ours = _version((reply.body or {}).get("@odata.etag"))
            if ours is not None and _version(etag) not in (None, ours):
                etag = ""
            result.ref = RemoteRef(result.ref.remote_id, etag, result.ref.marker)

    def _our_delta_link(self, link: str) -> bool:
        """A stored deltaLink is opaque (Graph: delta query overview, "State tokens"): it is taken when it is
        a delta link of this list on the Graph host, however the service spells the rest."""
        if len(link) > 8192 or not link.isprintable():
            return False
        split, base = urlsplit(link), urlsplit(self.client.base)
        path = unquote(split.path).casefold()
        return ((split.scheme, split.netloc.casefold()) == (base.scheme, base.netloc.casefold())
                and path.rstrip("/").endswith("/items/delta") and self._list.casefold() in path)  # fmt: skip


def _version(etag: object) -> int | None:
    """The version at the end of a SharePoint etag ("{GUID},3" or "guid,3"); None when it has none."""
    found = re.search(r",(\d+)\"?\s*$", etag) if isinstance(etag, str) else None
    return int(found.group(1)) if found else None


def _valid(remote_id: object) -> bool:
    return isinstance(remote_id, str) and bool(_ID.match(remote_id))
