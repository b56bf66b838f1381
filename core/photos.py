"""A contact's photo: the checks every face applies (the CLI's `--photo`, the web form's
upload) and how a photo is described ("JPEG image, 14.2 KB")."""

from __future__ import annotations

from contacthub.errors import UsageError
from contacthub.model import Photo

# A photo travels inside every copy of the card; phones and CardDAV servers refuse or
# shrink much larger ones (and Exchange/Graph take a few MB at most), so a bigger file
# is refused here rather than failing later, on every sync.
MAX_PHOTO_BYTES = 1024 * 1024


def photo_from_bytes(data: bytes, where: str) -> Photo:
    """The photo in `data` (the web form's upload, a file's bytes): the same checks as `--photo`.

    A UsageError naming `where` when it is too big or not a JPEG, PNG or GIF image.
    """
    from contacthub.vcard_values import sniffed

    if len(data) > MAX_PHOTO_BYTES:
        raise UsageError(too_big(where, len(data)))
    media_type = sniffed(data)
    if not media_type:
        raise UsageError(f"{where}: not a JPEG, PNG or GIF image")
    return Photo(data=data, media_type=media_type)


def too_big(where: object, size: int) -> str:
    return f"{where}: {_size(size)}; a photo may be at most {_size(MAX_PHOTO_BYTES)}"


def photo_text(photo: Photo | None) -> str:
    """What `contact show` says of a photo: "JPEG image, 14.2 KB", or its link."""
    if photo is None or not (photo.data or photo.uri):
        return ""
    kind = photo.media_type.removeprefix("image/").upper() or "unknown type"
    if photo.data:
        return f"{kind} image, {_size(len(photo.data))}"
    return f"link to a {kind} image: {photo.uri}" if photo.media_type else f"link: {photo.uri}"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"
