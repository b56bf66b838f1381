"""Errors that mean "bad input or a refusing peer", shown to the user as one line.

Anything raised as a `ContactHubError` is an expected failure: the CLI prints its
message (which must name what and where) and exits non-zero, with no traceback.
Messages never contain secrets.
"""


class ContactHubError(Exception):
    """An expected failure with a one-line, user-facing message."""


class ConfigError(ContactHubError):
    """The config file or a value in it is wrong."""


class DatabaseError(ContactHubError):
    """The business database cannot be opened, migrated or used."""


class NotFoundError(ContactHubError):
    """A record, record type, database or path that was named does not exist."""


class VCardError(ContactHubError):
    """A vCard could not be read; the message names the file and card position."""
