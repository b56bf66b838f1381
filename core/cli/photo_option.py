"""`contact add/edit --photo FILE` (`--photo -` removes it) and how `contact show` describes a photo.

Kept apart from the other field options so it stays one small piece of `contact_cmd`.
"""

from __future__ import annotations

from pathlib import Path

import click

from contacthub.errors import UsageError
from contacthub.model import Contact, Photo
from contacthub.photos import MAX_PHOTO_BYTES, photo_from_bytes, too_big

REMOVE = "-"

photo_option = click.option(
    "--photo",
    metavar="FILE",
    help="A JPEG, PNG or GIF file (at most 1 MiB) as the contact's photo; `--photo -` removes it.",
)


def with_photo(contact: Contact, value: str | None) -> Contact:
    """`contact` with the photo `--photo` names (None: as it was; "-": none)."""
    if value is None:
        return contact
    changed = contact.copy()
    changed.photo = None if value == REMOVE else read_photo(Path(value).expanduser())
    return changed


def read_photo(path: Path) -> Photo:
    """The image in `path`; one clear line (click's usage error) when it is not one."""
    try:
        size = path.stat().st_size
        if size > MAX_PHOTO_BYTES:
            raise click.BadParameter(too_big(path, size), param_hint="--photo")
        data = path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"{path}: {exc.strerror or exc}", param_hint="--photo") from None
    try:
        return photo_from_bytes(data, str(path))
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--photo") from None
