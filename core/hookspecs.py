"""The plugin hooks. Every connector, built-in or third-party, is a pluggy plugin
implementing these. A test fails when a hook has no docstring."""

from __future__ import annotations

import pluggy

PROJECT = "contacthub"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def contacthub_connectors():  # -> list[contacthub.connector.ConnectorInfo]
    """Return the connectors this plugin provides, as a list of `ConnectorInfo`.

    Each gives a unique `name` (the scheme used in target strings such as
    ``vcf:~/Phone``), a one-line `description`, the `options` it accepts, and a
    `factory(options, secrets)` that opens a `Connector` on one folder.
    """
