"""Errors that mean "bad input or a refusing peer", shown to the user as one line.

Anything raised as a `ContactHubError` is an expected failure: the CLI prints its
message (which must name what and where) and exits with the error's `exit_code`
(SPEC U4: 1 error, 2 usage, 3 partly done, 4 stopped by a safety check), with no
traceback. Messages never contain secrets.
"""


class ContactHubError(Exception):
    """An expected failure with a one-line, user-facing message."""

    exit_code = 1  # U4: an error, nothing changed


class UsageError(ContactHubError):
    """A value given on the command line or in the config file is not one the option takes (U4: exit 2)."""

    exit_code = 2


class SafetyStop(ContactHubError):
    """A safety check stopped a pass before it changed anything; `--force` goes on (U4: exit 4)."""

    exit_code = 4

    def __init__(self, message: str) -> None:
        super().__init__(f"stopped by the safety check: {message}")


class ConfigError(ContactHubError):
    """The config file or a value in it is wrong."""


class DatabaseError(ContactHubError):
    """The business database cannot be opened, migrated or used."""


class NotFoundError(ContactHubError):
    """A record, record type, database or path that was named does not exist."""


class VCardError(ContactHubError):
    """A vCard could not be read; the message names the file and card position."""
