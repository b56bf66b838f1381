"""A small fake Exchange mailbox behind `responses`: parses each SOAP request, answers schema-shaped XML.

Only what the ews connector uses: GetFolder, FindFolder, CreateFolder, FindItem
(IndexedPageItemView paging), GetItem, CreateItem, UpdateItem (SetItemField /
DeleteItemField, ConflictResolution), DeleteItem (MoveToDeletedItems) and
SyncFolderItems (Create/Update/Delete, MaxChangesReturned paging). Items are
kept as the <t:Contact> XML the client sent, changed in place by UpdateItem,
and returned shaped by the request's ItemShape (IdOnly + AdditionalProperties),
so a field the connector forgets to ask for is missing here too. Element and
attribute names follow the EWS schema (messages.xsd / types.xsd).

`replay(operation, file)` answers the next request for that operation with a
recorded exchange from data/ (throttling, per-item errors, a refused sync
state); `refuse_items(operation, code, text)` refuses single items of the
next requests with their own error message; `user_*` act as the user in
Outlook on the web.
"""

from __future__ import annotations

import base64
import itertools
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import defusedxml.ElementTree as SafeET
import responses

URL = "https://mail.example.com/EWS/Exchange.asmx"
MAILBOX = "ann@example.com"
DATA = Path(__file__).parent / "data"
S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
ET.register_namespace("s", S)
ET.register_namespace("m", M)
ET.register_namespace("t", T)

# types.xsd: ItemType then ContactItemType, in schema order (responses keep it).
ORDER = [
    "ItemId", "ParentFolderId", "ItemClass", "Subject", "Sensitivity", "Body", "Attachments", "DateTimeReceived",
    "Size", "Categories", "Importance", "InReplyTo", "IsSubmitted", "IsDraft", "IsFromMe", "IsResend",
    "IsUnmodified", "DateTimeSent", "DateTimeCreated", "ReminderIsSet", "ExtendedProperty", "Culture",
    "LastModifiedTime", "FileAs", "FileAsMapping", "DisplayName", "GivenName", "Initials", "MiddleName", "Nickname",
    "CompleteName", "CompanyName", "EmailAddresses", "PhysicalAddresses", "PhoneNumbers", "AssistantName",
    "Birthday", "BusinessHomePage", "Children", "Companies", "ContactSource", "Department", "Generation",
    "ImAddresses", "JobTitle", "Manager", "Mileage", "OfficeLocation", "PostalAddressIndex", "Profession",
    "SpouseName", "Surname", "WeddingAnniversary", "HasPicture",
]
ADDRESS_PARTS = ["Street", "City", "State", "CountryOrRegion", "PostalCode"]
INDEXED = {"EmailAddress": "EmailAddresses", "PhoneNumber": "PhoneNumbers", "ImAddress": "ImAddresses", "PhysicalAddress": "PhysicalAddresses"}
NOT_FOUND_TEXT = "The specified object was not found in the store."


def t(tag: str) -> str:
    return f"{{{T}}}{tag}"


def m(tag: str) -> str:
    return f"{{{M}}}{tag}"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class Folder:
    id: str
    name: str
    parent: str
    folder_class: str = "IPF.Contact"
    distinguished: str = ""
    items: dict[str, ET.Element] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)  # item ids touched, in order (sync states are positions)
    born: dict[str, int] = field(default_factory=dict)  # item id -> log position of its creation


class FakeMailbox:
    def __init__(self, password: str = "s3cret", username: str = MAILBOX) -> None:
        self.username, self.password = username, password
        self._ids = itertools.count(1)
        self.epoch = 0  # bumped by forget_sync_states()
        self.folders: dict[str, Folder] = {}
        self.requests: list[str] = []  # SOAP operation names, in order
        self._replays: dict[str, list[tuple[int, str]]] = {}
        self._refusals: dict[str, list[tuple[str, str]]] = {}
        root = self._folder("Root", "", "IPF.Note", "root")
        top = self._folder("Top of Information Store", root.id, "IPF.Note", "msgfolderroot")
        self.contacts = self._folder("Contacts", top.id, "IPF.Contact", "contacts")
        self.trash = self._folder("Deleted Items", top.id, "IPF.Note", "deleteditems")
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.add_callback(responses.POST, URL, callback=self._handle)

    # -- test controls ----------------------------------------------------------------

    def __enter__(self) -> Self:
        self.mock.start()
        return self

    def __exit__(self, *exc) -> None:
        self.mock.stop()
        self.mock.reset()

    def replay(self, operation: str, name: str, status: int = 200) -> None:
        """Answer the next `operation` request with the recorded file data/`name`."""
        self._replays.setdefault(operation, []).append((status, (DATA / name).read_text(encoding="utf-8")))

    def folder(self, path: str) -> Folder:
        """A folder by its path below Top of Information Store ("Contacts/Business")."""
        current = self.folders[self.contacts.parent]
        for name in path.split("/"):
            current = next(f for f in self.folders.values() if f.parent == current.id and f.name.lower() == name.lower())
        return current

    def refuse_items(self, operation: str, code: str, text: str, count: int = 1) -> None:
        """The next `count` items of `operation` (CreateItem, UpdateItem) get an error response message of
        their own (messages.xsd ResponseMessageType, ResponseClass="Error") and are not written; the
        other items of the same request are."""
        self._refusals.setdefault(operation, []).extend([(code, text)] * count)

    def forget_sync_states(self) -> None:
        self.epoch += 1

    def user_create(self, folder: Folder, **fields: str) -> str:
        contact = ET.Element(t("Contact"))
        for tag, value in fields.items():
            ET.SubElement(contact, t(tag)).text = value
        return self._create(folder, contact)

    def user_edit(self, item_id: str, **fields: str) -> None:
        folder, item = self._find(item_id)
        for tag, value in fields.items():
            _set(item, t(tag), value)
        self._touch(folder, item_id, item)

    def user_delete(self, item_id: str) -> None:
        folder, item = self._find(item_id)
        self._move_to_trash(folder, item_id, item)

    def value(self, item_id: str, tag: str) -> str | None:
        element = self._find(item_id)[1].find(t(tag))
        return None if element is None else element.text

    def marker(self, item_id: str) -> str | None:
        for prop in self._find(item_id)[1].findall(t("ExtendedProperty")):
            if prop.find(t("ExtendedFieldURI")).get("PropertyName") == "contacthub-id":
                return prop.find(t("Value")).text
        return None

    # -- plumbing -------------------------------------------------------------------------

    def _new_id(self, kind: str = "item") -> str:
        return base64.b64encode(f"AAMkAD-{kind}-{next(self._ids):06d}".encode()).decode()

    def _folder(self, name: str, parent: str, folder_class: str, distinguished: str = "") -> Folder:
        folder = Folder(self._new_id("folder"), name, parent, folder_class, distinguished)
        self.folders[folder.id] = folder
        return folder

    def _find(self, item_id: str) -> tuple[Folder, ET.Element]:
        for folder in self.folders.values():
            if item_id in folder.items:
                return folder, folder.items[item_id]
        raise KeyError(item_id)

    def _touch(self, folder: Folder, item_id: str, item: ET.Element) -> None:
        _item_id(item).set("ChangeKey", base64.b64encode(f"EQAAABYA-{next(self._ids)}".encode()).decode())
        folder.log.append(item_id)

    def _create(self, folder: Folder, contact: ET.Element) -> str:
        item_id = self._new_id()
        item = ET.Element(t("Contact"))
        ET.SubElement(item, t("ItemId"), Id=item_id)
        ET.SubElement(item, t("ParentFolderId"), Id=folder.id)
        ET.SubElement(item, t("ItemClass")).text = "IPM.Contact"
        for child in contact:
            if local(child.tag) not in ("ItemId", "ParentFolderId", "ItemClass"):
                item.append(child)
        _sort(item)
        folder.items[item_id] = item
        folder.born[item_id] = len(folder.log)
        self._touch(folder, item_id, item)
        return item_id

    def _move_to_trash(self, folder: Folder, item_id: str, item: ET.Element) -> None:
        del folder.items[item_id]
        folder.log.append(item_id)
        new_id = self._new_id()  # a moved item gets a new id, as in Exchange
        _item_id(item).set("Id", new_id)
        item.find(t("ParentFolderId")).set("Id", self.trash.id)
        self.trash.items[new_id] = item

    # -- the SOAP endpoint ------------------------------------------------------------------

    def _handle(self, request):
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if (user, password) != (self.username, self.password):
                return 401, {"WWW-Authenticate": 'Basic realm="mail.example.com"'}, ""
        body = SafeET.fromstring(request.body).find(f"{{{S}}}Body")
        operation_elem = body[0]
        operation = local(operation_elem.tag)
        self.requests.append(operation)
        if self._replays.get(operation):
            status, text = self._replays[operation].pop(0)
            return status, {"Content-Type": "text/xml; charset=utf-8"}, text
        messages = getattr(self, f"_op_{operation}")(operation_elem)
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, _envelope(operation, messages)

    # -- folders

    def _resolve_folder(self, elem: ET.Element) -> Folder | None:
        if local(elem.tag) == "DistinguishedFolderId":
            return next((f for f in self.folders.values() if f.distinguished == elem.get("Id")), None)
        return self.folders.get(elem.get("Id"))

    def _folder_xml(self, folder: Folder) -> ET.Element:
        tag = "ContactsFolder" if folder.folder_class == "IPF.Contact" else "Folder"
        elem = ET.Element(t(tag))
        ET.SubElement(elem, t("FolderId"), Id=folder.id, ChangeKey="AQAAABYAAAA=")
        if folder.parent:
            ET.SubElement(elem, t("ParentFolderId"), Id=folder.parent, ChangeKey="AQAAAA==")
        ET.SubElement(elem, t("FolderClass")).text = folder.folder_class
        ET.SubElement(elem, t("DisplayName")).text = folder.name
        ET.SubElement(elem, t("TotalCount")).text = str(len(folder.items))
        ET.SubElement(elem, t("ChildFolderCount")).text = str(sum(f.parent == folder.id for f in self.folders.values()))
        if tag == "Folder":
            ET.SubElement(elem, t("UnreadCount")).text = "0"
        return elem

    def _op_GetFolder(self, op):
        messages = []
        for ref in op.find(m("FolderIds")):
            folder = self._resolve_folder(ref)
            if folder is None:
                messages.append(_error("GetFolder", "ErrorFolderNotFound", "The specified folder could not be found in the store.", "Folders"))
                continue
            msg = _success("GetFolder")
            ET.SubElement(msg, m("Folders")).append(self._folder_xml(folder))
            messages.append(msg)
        return messages

    def _op_FindFolder(self, op):
        parent = self._resolve_folder(op.find(m("ParentFolderIds"))[0])
        wanted = None
        constant = op.find(f".//{t('Constant')}")
        if constant is not None:
            wanted = constant.get("Value").lower()
        children = [f for f in self.folders.values() if f.parent == parent.id and (wanted is None or f.name.lower() == wanted)]
        msg = _success("FindFolder")
        root = ET.SubElement(msg, m("RootFolder"), TotalItemsInView=str(len(children)), IncludesLastItemInRange="true")
        folders = ET.SubElement(root, t("Folders"))
        for child in children:
            folders.append(self._folder_xml(child))
        return [msg]

    def _op_CreateFolder(self, op):
        parent = self._resolve_folder(op.find(m("ParentFolderId"))[0])
        messages = []
        for new in op.find(m("Folders")):
            name = new.find(t("DisplayName")).text
            if any(f.parent == parent.id and f.name.lower() == name.lower() for f in self.folders.values()):
                messages.append(_error("CreateFolder", "ErrorFolderExists", "A folder with the specified name already exists.", "Folders"))
                continue
            folder = self._folder(name, parent.id, "IPF.Contact")
            msg = _success("CreateFolder")
            out = ET.SubElement(ET.SubElement(msg, m("Folders")), t("ContactsFolder"))
            ET.SubElement(out, t("FolderId"), Id=folder.id, ChangeKey="AQAAABYAAAA=")
            messages.append(msg)
        return messages

    # -- items

    def _op_FindItem(self, op):
        folder = self._resolve_folder(op.find(m("ParentFolderIds"))[0])
        view = op.find(m("IndexedPageItemView"))
        offset, size = int(view.get("Offset", "0")), int(view.get("MaxEntriesReturned", "1000"))
        ids = list(folder.items)
        page = ids[offset : offset + size]
        last = offset + len(page) >= len(ids)
        msg = _success("FindItem")
        attrs = {"TotalItemsInView": str(len(ids)), "IncludesLastItemInRange": str(last).lower()}
        if not last:
            attrs["IndexedPagingOffset"] = str(offset + len(page))
        root = ET.SubElement(msg, m("RootFolder"), **attrs)
        items = ET.SubElement(root, t("Items"))
        for item_id in page:
            items.append(_shaped(folder.items[item_id], op.find(m("ItemShape")), summary=True))
        return [msg]

    def _op_GetItem(self, op):
        messages = []
        for ref in op.find(m("ItemIds")):
            try:
                _check_id(ref.get("Id"))
                _folder, item = self._find(ref.get("Id"))
            except MalformedId:
                messages.append(_error("GetItem", "ErrorInvalidIdMalformed", "Id is malformed.", "Items"))
                continue
            except KeyError:
                messages.append(_error("GetItem", "ErrorItemNotFound", NOT_FOUND_TEXT, "Items"))
                continue
            msg = _success("GetItem")
            ET.SubElement(msg, m("Items")).append(_shaped(item, op.find(m("ItemShape"))))
            messages.append(msg)
        return messages

    def _op_CreateItem(self, op):
        folder = self._resolve_folder(op.find(m("SavedItemFolderId"))[0])
        messages = []
        for contact in op.find(m("Items")):
            if self._refusals.get("CreateItem"):
                messages.append(_error("CreateItem", *self._refusals["CreateItem"].pop(0), "Items"))
                continue
            item_id = self._create(folder, contact)
            msg = _success("CreateItem")
            out = ET.SubElement(ET.SubElement(msg, m("Items")), t("Contact"))
            out.append(_copy(_item_id(folder.items[item_id])))
            messages.append(msg)
        return messages

    def _op_UpdateItem(self, op):
        resolution = op.get("ConflictResolution")
        messages = []
        for change in op.find(m("ItemChanges")):
            ref = change.find(t("ItemId"))
            if self._refusals.get("UpdateItem"):
                messages.append(_error("UpdateItem", *self._refusals["UpdateItem"].pop(0), "Items"))
                continue
            try:
                _check_id(ref.get("Id"))
                folder, item = self._find(ref.get("Id"))
            except MalformedId:
                messages.append(_error("UpdateItem", "ErrorInvalidIdMalformed", "Id is malformed.", "Items"))
                continue
            except KeyError:
                messages.append(_error("UpdateItem", "ErrorItemNotFound", NOT_FOUND_TEXT, "Items"))
                continue
            stale = ref.get("ChangeKey") and ref.get("ChangeKey") != _item_id(item).get("ChangeKey")
            if stale and resolution == "NeverOverwrite":
                messages.append(_error("UpdateItem", "ErrorIrresolvableConflict",
                                       "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.", "Items"))
                continue
            for update in change.find(t("Updates")):
                _apply(item, update)
            _sort(item)
            self._touch(folder, ref.get("Id"), item)
            msg = _success("UpdateItem")
            out = ET.SubElement(ET.SubElement(msg, m("Items")), t("Contact"))
            out.append(_copy(_item_id(item)))
            conflicts = ET.SubElement(msg, m("ConflictResults"))
            ET.SubElement(conflicts, t("Count")).text = "0"
            messages.append(msg)
        return messages

    def _op_DeleteItem(self, op):
        assert op.get("DeleteType") == "MoveToDeletedItems", f"hard delete requested: {op.get('DeleteType')}"
        messages = []
        for ref in op.find(m("ItemIds")):
            try:
                _check_id(ref.get("Id"))
                folder, item = self._find(ref.get("Id"))
                if folder is self.trash:
                    raise KeyError(ref.get("Id"))
            except MalformedId:
                messages.append(_error("DeleteItem", "ErrorInvalidIdMalformed", "Id is malformed."))
                continue
            except KeyError:
                messages.append(_error("DeleteItem", "ErrorItemNotFound", NOT_FOUND_TEXT))
                continue
            self._move_to_trash(folder, ref.get("Id"), item)
            messages.append(_success("DeleteItem"))
        return messages

    def _op_SyncFolderItems(self, op):
        folder = self._resolve_folder(op.find(m("SyncFolderId"))[0])
        limit = int(op.find(m("MaxChangesReturned")).text)
        state_elem = op.find(m("SyncState"))
        shape = op.find(m("ItemShape"))
        changes: list[ET.Element] = []
        if state_elem is None or not state_elem.text:
            state = {"e": self.epoch, "f": folder.id, "p": len(folder.log), "i": 0}
        else:
            try:
                state = json.loads(base64.b64decode(state_elem.text, validate=True))
                if not (state["e"] == self.epoch and state["f"] == folder.id and 0 <= state["p"] <= len(folder.log)):
                    raise ValueError("not this folder's state")
            except (ValueError, KeyError, TypeError):
                msg = ET.Element(m("SyncFolderItemsResponseMessage"), ResponseClass="Error")
                ET.SubElement(msg, m("MessageText")).text = "Synchronization state data is corrupt or otherwise invalid."
                ET.SubElement(msg, m("ResponseCode")).text = "ErrorInvalidSyncStateData"
                ET.SubElement(msg, m("DescriptiveLinkKey")).text = "0"
                ET.SubElement(msg, m("SyncState"))
                ET.SubElement(msg, m("IncludesLastItemInRange")).text = "true"
                return [msg]
        if state.get("i") is not None:  # the first sync: every item, as Create
            ids = list(folder.items)[state["i"] : state["i"] + limit]
            for item_id in ids:
                create = ET.Element(t("Create"))
                create.append(_shaped(folder.items[item_id], shape, summary=True))
                changes.append(create)
            done = state["i"] + len(ids) >= len(folder.items)
            state = {**state, "i": None if done else state["i"] + len(ids)}
        else:
            position, seen = state["p"], set()
            while position < len(folder.log) and len(changes) < limit:
                item_id = folder.log[position]
                position += 1
                if item_id in seen:
                    continue
                seen.add(item_id)
                if item_id in folder.items:
                    kind = "Create" if folder.born[item_id] >= state["p"] else "Update"
                    change = ET.Element(t(kind))
                    change.append(_shaped(folder.items[item_id], shape, summary=True))
                elif folder.born.get(item_id, len(folder.log)) < state["p"]:
                    change = ET.Element(t("Delete"))
                    ET.SubElement(change, t("ItemId"), Id=item_id)
                else:
                    continue  # created and deleted since the state: nothing to tell
                changes.append(change)
            done = position >= len(folder.log)
            state = {**state, "p": position}
        msg = _success("SyncFolderItems")
        ET.SubElement(msg, m("SyncState")).text = base64.b64encode(json.dumps(state).encode()).decode()
        ET.SubElement(msg, m("IncludesLastItemInRange")).text = str(done).lower()
        container = ET.SubElement(msg, m("Changes"))
        container.extend(changes)
        return [msg]


# -- XML helpers ------------------------------------------------------------------------


class MalformedId(Exception):
    pass


def _check_id(item_id: str | None) -> None:
    try:
        text = base64.b64decode(item_id or "", validate=True).decode()
    except ValueError:
        raise MalformedId(item_id) from None
    if not text.startswith("AAMkAD-"):
        raise MalformedId(item_id)


def _item_id(item: ET.Element) -> ET.Element:
    return item.find(t("ItemId"))


def _copy(elem: ET.Element) -> ET.Element:
    return SafeET.fromstring(ET.tostring(elem))


def _sort(item: ET.Element) -> None:
    children = sorted(item, key=lambda c: ORDER.index(local(c.tag)) if local(c.tag) in ORDER else len(ORDER))
    item[:] = children


def _set(item: ET.Element, tag: str, value: str) -> None:
    elem = item.find(tag)
    if elem is None:
        elem = ET.SubElement(item, tag)
    elem.text = value
    _sort(item)


def _same_property(a: ET.Element, b: ET.Element) -> bool:
    return dict(a.find(t("ExtendedFieldURI")).attrib) == dict(b.attrib if local(b.tag) == "ExtendedFieldURI" else b.find(t("ExtendedFieldURI")).attrib)


def _apply(item: ET.Element, update: ET.Element) -> None:
    """One SetItemField / DeleteItemField, as types.xsd defines them."""
    path = update[0]
    kind, uri = local(path.tag), path.get("FieldURI")
    if kind == "ExtendedFieldURI":
        for prop in item.findall(t("ExtendedProperty")):
            if _same_property(prop, path):
                item.remove(prop)
        if local(update.tag) == "SetItemField":
            item.append(_copy(update[1].find(t("ExtendedProperty"))))
        return
    if kind == "FieldURI":
        tag = t(uri.split(":", 1)[1])
        for old in item.findall(tag):
            item.remove(old)
        if local(update.tag) == "SetItemField":
            item.append(_copy(update[1].find(tag)))
        return
    # IndexedFieldURI: contacts:EmailAddress / PhoneNumber / ImAddress / PhysicalAddress:Street …
    parts = uri.split(":")
    container_tag = t(INDEXED[parts[1]])
    key = path.get("FieldIndex")
    container = item.find(container_tag)
    if local(update.tag) == "SetItemField":
        new_entry = update[1].find(container_tag).find(t("Entry"))
        if container is None:
            container = ET.SubElement(item, container_tag)
        entry = next((e for e in container if e.get("Key") == key), None)
        if entry is None or len(parts) == 2:
            if entry is not None:
                container.remove(entry)
            container.append(_copy(new_entry))
        else:  # one part of an address
            for child in new_entry:
                for old in entry.findall(child.tag):
                    entry.remove(old)
                entry.append(_copy(child))
            entry[:] = sorted(entry, key=lambda c: ADDRESS_PARTS.index(local(c.tag)))
        return
    if container is None:
        return
    for entry in [e for e in container if e.get("Key") == key]:
        if len(parts) == 2:
            container.remove(entry)
        else:
            for old in entry.findall(t(parts[2])):
                entry.remove(old)
            if not len(entry):
                container.remove(entry)
    if not len(container):
        item.remove(container)


def _shaped(item: ET.Element, shape: ET.Element | None, summary: bool = False) -> ET.Element:
    """The item as the ItemShape asks for it (IdOnly + AdditionalProperties); FindItem/Sync never return Body."""
    out = ET.Element(item.tag)
    base = shape.find(t("BaseShape")).text if shape is not None else "AllProperties"
    wanted_tags, wanted_props = {"ItemId"}, []
    if shape is not None and shape.find(t("AdditionalProperties")) is not None:
        for path in shape.find(t("AdditionalProperties")):
            kind, uri = local(path.tag), path.get("FieldURI")
            if kind == "FieldURI":
                wanted_tags.add(uri.split(":", 1)[1])
            elif kind == "IndexedFieldURI":
                wanted_tags.add(INDEXED[uri.split(":")[1]])
            else:
                wanted_props.append(path)
    for child in item:
        name = local(child.tag)
        if summary and name == "Body":
            continue
        if name == "ExtendedProperty":
            if any(_same_property(child, p) for p in wanted_props):
                out.append(_copy(child))
        elif base == "AllProperties" or name in wanted_tags:
            out.append(_copy(child))
    return out


def _success(operation: str) -> ET.Element:
    msg = ET.Element(m(f"{operation}ResponseMessage"), ResponseClass="Success")
    ET.SubElement(msg, m("ResponseCode")).text = "NoError"
    return msg


def _error(operation: str, code: str, text: str, container: str | None = None) -> ET.Element:
    msg = ET.Element(m(f"{operation}ResponseMessage"), ResponseClass="Error")
    ET.SubElement(msg, m("MessageText")).text = text
    ET.SubElement(msg, m("ResponseCode")).text = code
    ET.SubElement(msg, m("DescriptiveLinkKey")).text = "0"
    if container:
        ET.SubElement(msg, m(container))
    return msg


def _envelope(operation: str, messages: list[ET.Element]) -> bytes:
    envelope = ET.Element(f"{{{S}}}Envelope")
    header = ET.SubElement(envelope, f"{{{S}}}Header")
    ET.SubElement(header, t("ServerVersionInfo"), MajorVersion="15", MinorVersion="1", MajorBuildNumber="2507",
                  MinorBuildNumber="6", Version="V2017_07_11")
    body = ET.SubElement(envelope, f"{{{S}}}Body")
    response = ET.SubElement(body, m(f"{operation}Response"))
    ET.SubElement(response, m("ResponseMessages")).extend(messages)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(envelope)
