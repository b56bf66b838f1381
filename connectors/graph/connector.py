"""GraphConnector: one Outlook contact folder (Microsoft 365 or Outlook.com) through Microsoft Graph.

The remote id is the contact's Graph id, the etag its changeKey (sent back as
``If-Match: W/"changeKey"``). Changes come from the folder's delta query; the
engine stores the whole @odata.deltaLink as the change token. The marker is a
single-value extended property (mapping.py); writes go in $batch requests,
each sub-response judged on its own, at most 4 requests in flight for the
mailbox counting sub-requests (http.py).

Target: ``graph:FOLDER`` — a contact folder by name, made when missing. With
option `mailbox` (and an app's `client_secret`) the folder is in that mailbox
(``/users/{mailbox}``), else in the signed-in user's (``/me``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
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
from contacthub.connectors.graph.cache import MarkerCache
from contacthub.connectors.graph.http import (
    MAILBOX_CONCURRENCY,
    GraphClient,
    Reply,
    SubRequest,
    error_for,
    query,
    segment,
)
from contacthub.connectors.graph.mapping import (
    EXPAND,
    EXPAND_MARKER,
    HELD_FIELDS,
    marker_of,
    to_contact,
    to_graph_with_marker,
)
from contacthub.errors import ConfigError

log = logging.getLogger(__name__)

PERMISSION = "Contacts.ReadWrite"
# Graph ids are URL-safe base64; anything else is not one of ours and is never sent.
_ID = re.compile(r"^[A-Za-z0-9_=+\-]{1,512}$")
_LIST_PAGE = 100


class GraphConnector:
    """One contact folder. Open it with `GraphConnector.open(options, context)`."""

    name = "graph"
    description = "A Microsoft 365 / Outlook.com contact folder, through Microsoft Graph"
    capabilities = Capabilities(
        incremental=True,  # delta query; the deltaLink is the change token
        push=False,
        batch_size=80,  # per engine step; sent as $batch requests of 4, one at a time (the mailbox's limit)
        fields=HELD_FIELDS,
    )

    def __init__(self, client: GraphClient, folder: str, cache_dir: Path, mailbox: str = "") -> None:
        self.client = client
        self.folder_name = folder
        self.owner = f"/users/{segment(mailbox)}" if mailbox else "/me"
        self.cache_dir = Path(cache_dir)
        self._folder_id = ""
        self._cache: MarkerCache | None = None

    @classmethod
    def open(cls, options: Mapping[str, Any], context: ConnectorContext) -> GraphConnector:
        folder = str(options.get("folder") or options.get("location") or "").strip()
        if not folder:
            raise ConfigError("graph: name the contact folder: graph:FOLDER (it is made when missing)")
        auth = auth_for(options, context, "graph")
        mailbox = str(options.get("mailbox") or "").strip()
        if auth.settings.app_only and not mailbox:
            raise ConfigError("graph: an app signing in with client_secret needs option 'mailbox' (the user's address)")
        client = GraphClient(auth.settings.graph_url, auth.token, subrequest_limit=MAILBOX_CONCURRENCY)
        return cls(client, folder, context.cache_dir, mailbox)

    # -- the folder -------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"contact folder '{self.folder_name}' of {self.owner.lstrip('/')}"

    def _folder(self) -> str:
        if not self._folder_id:
            name = self.folder_name.replace("'", "''")  # OData string literal
            path = f"{self.owner}/contactFolders" + query({"$filter": f"displayName eq '{name}'", "$select": "id,displayName"})
            found = self.client.call("GET", path, f"finding {self.where}", permission=PERMISSION).body or {}
            matches = [f for f in found.get("value", []) if f.get("displayName") == self.folder_name]
            if matches:
                self._folder_id = str(matches[0]["id"])
            else:
                made = self.client.call("POST", f"{self.owner}/contactFolders", f"creating {self.where}",
                                        body={"displayName": self.folder_name}, permission=PERMISSION)
                self._folder_id = str(made.body["id"])
                log.info("graph: made %s", self.where)
        return self._folder_id

    @property
    def _contacts(self) -> str:
        return f"{self.owner}/contactFolders/{segment(self._folder())}/contacts"

    def _markers(self) -> MarkerCache:
        if self._cache is None:
            self._cache = MarkerCache(self.cache_dir, self._folder())
        return self._cache

    # -- the contract -------------------------------------------------------------------

    def check(self) -> None:
        folder = self._folder()
        self.client.call("GET", f"{self.owner}/contactFolders/{segment(folder)}" + query({"$select": "id"}),
                         f"reading {self.where}", permission=PERMISSION)

    def list(self) -> Iterator[RemoteRef]:
        path = self._contacts + query({"$select": "id,changeKey", "$expand": EXPAND_MARKER, "$top": str(_LIST_PAGE)})
        refs: dict[str, RemoteRef] = {}
        cache = self._markers()
        for page in self.client.pages(path, f"listing {self.where}", PERMISSION):
            for item in page.get("value", []):
                ref = RemoteRef(str(item["id"]), str(item.get("changeKey") or ""), marker_of(item))
                refs[ref.remote_id] = ref
                cache.put(ref.remote_id, ref.etag, ref.marker)
        cache.keep_only(set(refs))
        cache.save()
        return iter(list(refs.values()))

    def changes(self, token: str) -> ChangeSet:
        cache = self._markers()
        if token:
            if not self._our_token(token) or cache.written_since(token) is None:
                raise TokenExpired(f"graph: the change token for {self.where} is not one this hub holds; reading everything")
            url = token
        else:
            url = self._contacts + "/delta" + query({"$select": "id,changeKey"})
        changed: dict[str, str] = {}
        deleted: set[str] = set()
        delta_link = ""
        for page in self._delta_pages(url, bool(token)):
            for row in page.get("value", []):
                rid = str(row.get("id") or "")
                if not rid:
                    continue
                if "@removed" in row:
                    deleted.add(rid)
                    changed.pop(rid, None)
                else:
                    changed[rid] = str(row.get("changeKey") or "")
                    deleted.discard(rid)
            delta_link = page.get("@odata.deltaLink") or delta_link
        if not delta_link:
            raise TargetError(f"graph: the changes of {self.where} ended without a deltaLink")
        if token:
            self._add_own_writes(token, changed, deleted)
        refs = self._refs(changed, deleted)
        if token:
            for rid in deleted:
                cache.drop(rid)
        else:
            cache.keep_only(set(refs))
        cache.issued(delta_link)
        cache.save()
        return ChangeSet(changed=list(refs.values()), deleted=sorted(deleted) if token else [], token=delta_link)

    def fetch(self, ids: Iterable[str]) -> Iterator[RemoteItem]:
        wanted = [rid for rid in dict.fromkeys(ids) if _valid(rid)]
        subs = [SubRequest("GET", f"{self._contacts}/{segment(rid)}" + query({"$expand": EXPAND})) for rid in wanted]
        items = []
        cache = self._markers()
        for rid, reply in zip(wanted, self.client.batch(subs, f"reading contacts of {self.where}"), strict=True):
            if reply.status == 404:
                continue
            if not reply.ok:
                raise error_for(reply, f"reading contact {rid[-12:]} in {self.where}", PERMISSION)
            body = reply.body or {}
            ref = RemoteRef(rid, str(body.get("changeKey") or ""), marker_of(body))
            cache.put(rid, ref.etag, ref.marker)
            items.append(RemoteItem(ref, to_contact(body)))
        cache.save()
        return iter(items)

    def create(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write(list(items), "create")

    def update(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write(list(items), "update")

    def delete(self, items: Iterable[WriteRequest]) -> Iterator[Result]:
        return self._write(list(items), "delete")

    def close(self) -> None:
        if self._cache is not None:
            self._cache.save()
        self.client.close()

    # -- writes ---------------------------------------------------------------------------

    def _sub(self, op: str, request: WriteRequest) -> SubRequest | ConnectorError:
        if op == "create":
            if request.contact is None:
                return TargetError("graph: create without a contact")
            return SubRequest("POST", self._contacts, to_graph_with_marker(request.contact, request.marker))
        if not _valid(request.remote_id):
            return NotFound(f"graph: {request.remote_id!r} is not a contact in {self.where}")
        headers = {"If-Match": f'W/"{request.etag}"'} if request.etag else {}
        url = f"{self._contacts}/{segment(request.remote_id)}"
        if op == "delete":
            return SubRequest("DELETE", url, headers=headers)
        if request.contact is None:
            return TargetError(f"graph: update of {request.remote_id[-12:]} without a contact")
        return SubRequest("PATCH", url, to_graph_with_marker(request.contact, request.marker), headers)

    def _write(self, requests_: list[WriteRequest], op: str) -> Iterator[Result]:
        planned = [self._sub(op, r) for r in requests_]
        sendable = [i for i, s in enumerate(planned) if isinstance(s, SubRequest)]
        replies = dict(zip(sendable, self.client.batch([planned[i] for i in sendable], f"{op} in {self.where}"), strict=True))
        cache = self._markers()
        results = []
        try:
            for index, request in enumerate(requests_):
                sub = planned[index]
                if not isinstance(sub, SubRequest):
                    results.append(Result(request, error=sub))
                    continue
                results.append(self._result(op, request, replies[index], cache))
        finally:
            cache.save()
        return iter(results)

    def _result(self, op: str, request: WriteRequest, reply: Reply, cache: MarkerCache) -> Result:
        label = request.remote_id[-12:] if request.remote_id else "a new contact"
        if not reply.ok:
            return Result(request, error=error_for(reply, f"{op} of {label} in {self.where}", PERMISSION))
        if op == "delete":
            cache.drop(request.remote_id)
            cache.wrote(request.remote_id)
            return Result(request)
        body = reply.body or {}
        rid, change_key = str(body.get("id") or request.remote_id), str(body.get("changeKey") or "")
        if not rid or not change_key:
            return Result(request, error=TargetError(f"graph: {op} of {label} in {self.where}: no id or changeKey in the answer"))
        cache.put(rid, change_key, request.marker)
        cache.wrote(rid)
        return Result(request, ref=RemoteRef(rid, change_key, request.marker))

    # -- reads ----------------------------------------------------------------------------

    def _delta_pages(self, url: str, stored: bool) -> Iterator[dict[str, Any]]:
        """The pages of one delta round; a stored link the service refuses is TokenExpired (a full read follows).

        Graph answers an expired link with 410 Gone (code syncStateNotFound / resyncRequired)
        and one it cannot read with 400: either way the round starts again from the folder
        (delta-query-overview, "Synchronization reset" and "Token duration").
        """
        what = f"reading the changes of {self.where}"
        first = self.client.request("GET", url, what)
        if stored and first.status in (400, 410):
            detail = first.error_code() or f"HTTP {first.status}"
            raise TokenExpired(f"graph: the service no longer knows the change token of {self.where} ({detail}); reading everything")
        if not first.ok:
            raise error_for(first, what, PERMISSION)
        page = first.body or {}
        yield page
        if page.get("@odata.nextLink"):
            yield from self.client.pages(page["@odata.nextLink"], what, PERMISSION)

    def _our_token(self, token: str) -> bool:
        """A delta link on the configured Graph host; anything else is never requested (the token goes there).

        The link itself is opaque: Graph spells it in its own way (e.g.
        ``/users('{guid}')/contactFolders('{id}')/contacts/delta?$deltatoken=…``, not the path
        the hub asked), so only its host and its being a delta link are checked. That it is
        this folder's link is known from the cache, which remembers the links it handed out.
        """
        if len(token) > 8192 or not token.isprintable():
            return False
        link, graph = urlsplit(token), urlsplit(self.client.base)
        return (
            link.scheme == "https"
            and link.netloc.casefold() == graph.netloc.casefold()
            and unquote(link.path).rstrip("/").casefold().endswith(("/delta", "/microsoft.graph.delta()", "/delta()"))
            and "$deltatoken=" in unquote(link.query).casefold()
        )

    def _add_own_writes(self, token: str, changed: dict[str, str], deleted: set[str]) -> None:
        """The hub's writes after `token` that the changes do not mention: still there, changed, or gone?"""
        mine = [rid for rid in self._markers().written_since(token) or [] if rid not in changed and rid not in deleted]
        if not mine:
            return
        states = self._states(mine)
        for rid in mine:
            if rid not in states:
                deleted.add(rid)
            elif states[rid][0] != self._markers().change_key(rid):
                changed[rid] = states[rid][0]

    def _states(self, ids: list[str]) -> dict[str, tuple[str, Any]]:
        """id -> (changeKey, marker) for the ids that exist (one light GET each, batched)."""
        subs = [SubRequest("GET", f"{self._contacts}/{segment(rid)}" + query({"$select": "id,changeKey", "$expand": EXPAND_MARKER}))
                for rid in ids]  # fmt: skip
        found = {}
        for rid, reply in zip(ids, self.client.batch(subs, f"reading markers in {self.where}"), strict=True):
            if reply.status == 404:
                continue
            if not reply.ok:
                raise error_for(reply, f"reading contact {rid[-12:]} in {self.where}", PERMISSION)
            found[rid] = (str((reply.body or {}).get("changeKey") or ""), marker_of(reply.body or {}))
        return found

    def _refs(self, changed: dict[str, str], deleted: set[str]) -> dict[str, RemoteRef]:
        """RemoteRefs for id -> changeKey, downloading only markers whose changeKey is new to the cache."""
        cache = self._markers()
        refs: dict[str, RemoteRef] = {}
        unknown = []
        for rid, change_key in changed.items():
            known, marker = cache.get(rid, change_key)
            if known:
                refs[rid] = RemoteRef(rid, change_key, marker)
            else:
                unknown.append(rid)
        states = self._states(unknown) if unknown else {}
        for rid in unknown:
            if rid in states:
                change_key, marker = states[rid]
                cache.put(rid, change_key, marker)
                refs[rid] = RemoteRef(rid, change_key, marker)
            else:
                deleted.add(rid)  # gone between the delta read and now
        return {rid: refs[rid] for rid in changed if rid in refs}


def _valid(remote_id: object) -> bool:
    return isinstance(remote_id, str) and bool(_ID.match(remote_id))
