"""Keeping passwords out of the config file."""

from __future__ import annotations

from contacthub.config import DatabaseEntry
from contacthub.errors import ConfigError

KEYRING_SERVICE = "contacthub"


def move_password_out_of_url(entry: DatabaseEntry) -> None:
    """A password inside the URL goes to the system keyring; the URL keeps none."""
    from sqlalchemy.engine import make_url

    url = make_url(entry.url)
    if not url.password:
        return
    if entry.password is not None:
        raise ConfigError(f"database '{entry.name}': give the password either in the URL or by --password-env, not both")
    import keyring
    from keyring.errors import KeyringError

    username = f"database:{entry.name}"
    try:
        keyring.set_password(KEYRING_SERVICE, username, str(url.password))
    except KeyringError as exc:
        raise ConfigError(
            f"database '{entry.name}': no usable keyring to keep its password ({type(exc).__name__}); "
            "leave the password out of --url and use --password-env VAR"
        ) from None
    # URL.set(password=None) means "unchanged"; the namedtuple _replace really drops it.
    entry.url = url._replace(password=None).render_as_string(hide_password=False)
    entry.password = {"keyring": KEYRING_SERVICE, "username": username}
