"""Import (upload a .vcf/.csv, see the report) and export (download the live records as vCard or CSV)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from contacthub.services import records
from contacthub.web.pages import call, render, workspace
from contacthub.web.security import checked_form

SUFFIXES = (".vcf", ".vcard", ".csv")
MAX_CHOSEN = 1000  # ids taken from one selection (a page shows 50)


async def form(request: Request):
    types = await call(records.record_types, workspace(request).database())
    return render(request, "import.html", report=None, types=types, title="Import")


async def upload(request: Request):
    data = await checked_form(request)
    upload = data.get("file")
    db = workspace(request).database()
    types = await call(records.record_types, db)
    if upload is None or isinstance(upload, str) or not upload.filename:
        return render(request, "import.html", status_code=400, report=None, types=types, error="Choose a .vcf or .csv file.", title="Import")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUFFIXES:
        return render(request, "import.html", status_code=400, report=None, types=types,
                      error="Only .vcf and .csv files can be imported.", title="Import")  # fmt: skip
    policy = data.get("on_duplicate") or None
    if policy not in (None, "skip", "update", "add"):
        policy = None
    with tempfile.TemporaryDirectory(prefix="contacthub-upload-") as folder:
        # The file keeps only its suffix: the name sent by the browser never becomes a path.
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(await upload.read())
        report = await call(records.import_file, db, path, data.get("type") or "business-contact", policy)
    # The report names the temporary file; name the file the person chose instead.
    report.problems = [p.replace(str(path), upload.filename) for p in report.problems]
    report.notes = [n.replace(str(path), upload.filename) for n in report.notes]
    return render(request, "import.html", report=report, types=types, filename=upload.filename, title="Import")


async def export(request: Request):
    """All live records (or those of ?type= / ?category=, or the ?id= chosen on the list) as one .vcf or .csv."""
    from contacthub.transfer import export_csv, export_vcards

    fmt = "csv" if request.query_params.get("format") == "csv" else "vcf"
    db = workspace(request).database()
    ids = [i for i in request.query_params.getlist("id") if i.strip()][:MAX_CHOSEN]
    if ids:
        chosen = await call(records.chosen, db, ids)
    elif "id" in request.query_params:  # the selection form sent, nothing ticked: not "everything"
        return PlainTextResponse("Tick the records to export first.", status_code=400)
    else:
        chosen = await call(records.list_records, db, type_name=request.query_params.get("type") or None,
                            category=request.query_params.get("category") or None)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="contacthub-export-") as folder:
        path = Path(folder) / f"contacts.{fmt}"
        if fmt == "csv":
            await call(export_csv, chosen, path, "outlook")
        else:
            await call(export_vcards, chosen, path, "3.0")
        body = path.read_bytes()
    media = "text/csv" if fmt == "csv" else "text/vcard"
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="contacts.{fmt}"'})


routes = [
    Route("/import", form, methods=["GET"]),
    Route("/import", upload, methods=["POST"]),
    Route("/export", export, methods=["GET"]),
]
