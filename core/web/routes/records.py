"""One record: its page (every field, history old → new), the add and edit forms, delete/restore/purge, revert."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contacthub.errors import ContactHubError, UsageError
from contacthub.photos import MAX_PHOTO_BYTES, photo_from_bytes
from contacthub.services import records
from contacthub.web.pages import call, flash, redirect, render, workspace
from contacthub.web.security import checked_form

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")  # what /photo may answer with: never text/html
SCALARS = ("name", "company", "title", "role", "birthday", "anniversary", "note")
TYPED_LISTS = ("emails", "phones", "addresses", "categories")  # one value per line on the add form


async def show(request: Request):
    db = workspace(request).database()
    record, history = await call(records.history, db, request.path_params["id"])
    return render(request, "record.html", record=record, history=list(reversed(history)), title=record.contact.best_name())


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.replace(",", "\n").splitlines() if line.strip())


async def photo(request: Request):
    """The record's photo bytes, typed from the stored media type when it is an image type (else
    sniffed from the bytes); 404 when there is none or it is not a JPEG, PNG or GIF."""
    record = await call(records.get, workspace(request).database(), request.path_params["id"])
    p = record.contact.photo
    media = "" if p is None or not p.data else p.media_type.lower() if p.media_type.lower() in IMAGE_TYPES else _sniffed(p.data)
    if media not in IMAGE_TYPES:
        return Response("No photo.", status_code=404, media_type="text/plain")
    return Response(p.data, media_type=media, headers={"cache-control": "private, max-age=0", "content-disposition": "inline"})


def _sniffed(data: bytes) -> str:
    from contacthub.vcard_values import sniffed

    return sniffed(data)


async def _uploaded_photo(form):
    """The Photo of the form's `photo` upload; None when none was chosen; UsageError as `--photo` gives."""
    upload = form.get("photo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_PHOTO_BYTES + 1)  # one byte over is enough to refuse it
    return photo_from_bytes(data, "the photo")


def _values_for_add(form) -> dict:
    values = {k: (form.get(k) or "").strip() or None for k in SCALARS}
    for key in TYPED_LISTS:
        text = form.get(key) or ""
        values[key] = _lines(text) if key == "categories" else tuple(v.strip() for v in text.splitlines() if v.strip())
    return values


async def new_form(request: Request):
    types = await call(records.record_types, workspace(request).database())
    return render(request, "form.html", record=None, values={}, types=types, title="New contact")


async def add(request: Request):
    form = await checked_form(request)
    db = workspace(request).database()
    type_name = form.get("type") or "business-contact"
    values = _values_for_add(form)
    try:
        record = await call(records.add, db, values, type_name=type_name, photo=await _uploaded_photo(form))
    except ContactHubError as exc:
        types = await call(records.record_types, db)
        return render(request, "form.html", status_code=400, record=None, values=form, types=types, error=str(exc), title="New contact")
    flash(request, f"Added {record.contact.best_name()}.")
    return redirect(f"/contacts/{record.id}")


async def edit_form(request: Request):
    db = workspace(request).database()
    record = await call(records.get, db, request.path_params["id"])
    return render(request, "edit.html", record=record, values=_current(record), title=f"Edit {record.contact.best_name()}")


def _current(record) -> dict:
    c = record.contact
    return {"name": c.best_name() if c.display_name else "", "company": c.organization, "title": c.title, "role": c.role,
            "birthday": c.birthday, "anniversary": c.anniversary, "note": c.note}  # fmt: skip


async def edit(request: Request):
    form = await checked_form(request)
    db = workspace(request).database()
    record = await call(records.get, db, request.path_params["id"])
    current = _current(record)
    # Only what was changed is applied, so an untouched name keeps its parts (prefix, given, family).
    values = {k: (form.get(k) or "").strip() for k in SCALARS if (form.get(k) or "").strip() != (current[k] or "")}
    add = {k: tuple(v for v in [(form.get(f"add_{k}") or "").strip()] if v) for k in TYPED_LISTS}
    remove = {k: tuple(form.getlist(f"remove_{k}")) for k in TYPED_LISTS}
    try:
        new_photo = await _uploaded_photo(form)
        if new_photo is not None and form.get("remove_photo"):
            raise UsageError("choose a new photo or remove the photo, not both")
        photo = new_photo if new_photo is not None else None if form.get("remove_photo") else ...
        outcome = await call(records.edit, db, record.id, values, add=add, remove=remove, photo=photo)
    except ContactHubError as exc:
        return render(request, "edit.html", status_code=400, record=record, values={**current, **values}, error=str(exc),
                      title=f"Edit {record.contact.best_name()}")  # fmt: skip
    flash(request, f"Saved {outcome.after.contact.best_name()}." if outcome.changed else "Nothing changed.")
    return redirect(f"/contacts/{record.id}")


DONE = {"delete": "moved to Deleted Items", "restore": "restored", "purge": "purged for good"}


async def lifecycle(request: Request):
    await checked_form(request)
    verb = request.path_params["verb"]
    if verb not in DONE:
        return render(request, "error.html", status_code=404, error="No such action.", title="Not found")
    record = await call(records.lifecycle, workspace(request).database(), verb, request.path_params["id"])
    flash(request, f"{record.contact.best_name()}: {DONE[verb]}.")
    return redirect("/contacts?deleted=1" if verb == "delete" else "/contacts" if verb == "purge" else f"/contacts/{record.id}")


async def revert(request: Request):
    form = await checked_form(request)
    try:
        version = int(form.get("version") or "")
    except ValueError:
        return render(request, "error.html", status_code=400, error="Which version?", title="Not done")
    outcome = await call(records.revert, workspace(request).database(), request.path_params["id"], version)
    flash(request, f"Brought back version {version} as version {outcome.after.version}." if outcome.changed else f"It is as version {version} already.")
    return redirect(f"/contacts/{outcome.before.id}")


routes = [
    Route("/contacts/new", new_form, methods=["GET"]),
    Route("/contacts/new", add, methods=["POST"]),
    Route("/contacts/{id}", show, methods=["GET"]),
    Route("/contacts/{id}/photo", photo, methods=["GET"]),
    Route("/contacts/{id}/edit", edit_form, methods=["GET"]),
    Route("/contacts/{id}/edit", edit, methods=["POST"]),
    Route("/contacts/{id}/revert", revert, methods=["POST"]),
    Route("/contacts/{id}/{verb}", lifecycle, methods=["POST"]),
]
