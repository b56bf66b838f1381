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
    ``vcf:~/Phone``), a one-line `description`, the `options` it accepts (option
    name -> help text, listed by `contacthub connectors --verbose`), and a
    `factory(options, context)` that opens a `Connector` on one folder: `options`
    is the target's config table (``location`` holds the text after the colon),
    `context` a `ConnectorContext` (`secret(value)` resolves a secret option,
    `cache_dir` is a private folder). ``lazy_factory("package.module:Class")``
    builds such a factory that imports the module only when a target is opened
    and calls the classmethod ``Class.open(options, context)``.
    """
