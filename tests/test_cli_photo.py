"""`contact add/edit --photo FILE`, `--photo -`, what `contact show` says, and export (issue 14, Photos; U1, U2)."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

from contacthub.vcard import read_vcards


def _png(path: Path) -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND), written to `path`."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return data


def _only_id(run) -> str:
    [record] = run.json("contact", "list")
    return record["id"]


def test_u1_photo_added_shown_exported_and_removed(run, tmp_path):
    data = _png(tmp_path / "face.png")
    run("contact", "add", "--name", "Ann Lee", "--photo", str(tmp_path / "face.png"))
    record_id = _only_id(run)
    assert f"Photo:       PNG image, {len(data)} bytes" in run("contact", "show", record_id).stdout
    stored = run.json("contact", "show", record_id)["contact"]["photo"]
    assert stored["media_type"] == "image/png" and base64.b64decode(stored["data"]) == data

    run("export", str(tmp_path / "out.vcf"))
    [card] = read_vcards((tmp_path / "out.vcf").read_bytes(), "out.vcf").contacts
    assert card.photo.data == data and card.photo.media_type == "image/png"

    run("contact", "edit", record_id, "--photo", "-")
    assert "Photo:" not in run("contact", "show", record_id).stdout
    assert run.json("contact", "show", record_id)["contact"]["photo"] is None
    run("export", str(tmp_path / "after.vcf"))
    assert b"PHOTO" not in (tmp_path / "after.vcf").read_bytes()


def test_u1_edit_sets_a_photo_and_keeps_it_when_not_named(run, tmp_path):
    data = _png(tmp_path / "face.png")
    run("contact", "add", "--name", "Bo Ek")
    record_id = _only_id(run)
    run("contact", "edit", record_id, "--photo", str(tmp_path / "face.png"))
    run("contact", "edit", record_id, "--title", "Buyer")  # no --photo: the photo stays
    photo = run.json("contact", "show", record_id)["contact"]["photo"]
    assert base64.b64decode(photo["data"]) == data


def test_u2_a_file_that_is_not_an_image_is_one_line_and_adds_nothing(run, tmp_path):
    (tmp_path / "notes.txt").write_text("not a picture")
    result = run("contact", "add", "--name", "Cy Dahl", "--photo", str(tmp_path / "notes.txt"), ok=False)
    assert result.exit_code == 2 and "notes.txt: not a JPEG, PNG or GIF image" in result.stderr
    assert "Traceback" not in result.output and run.json("contact", "list") == []
    result = run("contact", "add", "--name", "Cy Dahl", "--photo", str(tmp_path / "missing.png"), ok=False)
    assert result.exit_code == 2 and "missing.png: No such file or directory" in result.stderr
